"""Adapters: an embedded and an Azure implementation of every port."""
