"""Catalog bounded context: products, variants and skus, prices, images, categories, brands."""
