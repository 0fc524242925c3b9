"""Catalog HTTP triggers (thin: validate, call one service function, shape the response)."""

from __future__ import annotations

import azure.functions as func

from shared.catalog import images, service, taxonomy
from shared.catalog.model import etag_header
from shared.catalog.schemas import (
    BrandCreate,
    BrandPublic,
    BrandsPublic,
    CategoriesPublic,
    CategoryCreate,
    CategoryPublic,
    ImagePublic,
    PriceHistoryPublic,
    PriceUpdate,
    ProductCreate,
    ProductListPage,
    ProductListQuery,
    ProductPublic,
    ProductUpdate,
)
from shared.catalog.service import Versioned
from shared.composition import get_blob_store, get_document_store
from shared.http import Api, RequestContext, Response
from shared.kernel.schema import ListQuery

bp = func.Blueprint()
api = Api(bp, tag="catalog")
ADMIN = ("admin",)
ETAG = ("ETag",)
JSON = "application/json"
IF_MATCH = ("If-Match",)


def _product(result: Versioned[ProductPublic], status: int = 200) -> Response:
    headers = {"ETag": etag_header(result.etag)}
    if status == 201:
        headers["Location"] = f"/api/products/{result.value.id}"
    return Response(result.value, status=status, headers=headers)


@api.route("products", methods=["GET"], query=ProductListQuery, response=ProductListPage)
def catalog_list_products(ctx: RequestContext) -> Response:
    """List active products with their stock; filters category and brand (id, slug or name),
    minPrice, maxPrice."""
    # The page's JSON as the service assembles it (a ProductListPage, byte for byte).
    body = service.list_products_json(store=get_document_store(), query=ctx.query_as(ProductListQuery))
    return Response(body, mimetype=JSON)


@api.route("products/{productId}", methods=["GET"], response=ProductPublic, response_headers=ETAG)
def catalog_get_product(ctx: RequestContext) -> Response:
    """A product (archived ones too) with its ETag."""
    return _product(service.get_product(store=get_document_store(), product_id=ctx.route["productId"]))


@api.route(
    "products",
    methods=["POST"],
    auth=ADMIN,
    body=ProductCreate,
    response=ProductPublic,
    status=201,
    errors=(409,),
    response_headers=("ETag", "Location"),
)
def catalog_create_product(ctx: RequestContext) -> Response:
    """Create a product; each of its skus gets an inventory record at 0."""
    created = service.create_product(store=get_document_store(), data=ctx.body_as(ProductCreate))
    return _product(created, status=201)


@api.route(
    "products/{productId}",
    methods=["PUT"],
    auth=ADMIN,
    body=ProductUpdate,
    response=ProductPublic,
    errors=(409, 412, 428),
    headers=IF_MATCH,
    response_headers=ETAG,
)
def catalog_update_product(ctx: RequestContext) -> Response:
    """Replace the editable fields; requires If-Match (428 without, 412 stale)."""
    if_match = ctx.require_if_match()
    result = service.update_product(
        store=get_document_store(),
        product_id=ctx.route["productId"],
        data=ctx.body_as(ProductUpdate),
        if_match=if_match,
    )
    return _product(result)


@api.route(
    "products/{productId}", methods=["DELETE"], auth=ADMIN, status=204, errors=(412,), headers=IF_MATCH
)
def catalog_archive_product(ctx: RequestContext) -> None:
    """Archive the product (it stays readable by id, no longer listed)."""
    service.archive_product(
        store=get_document_store(), product_id=ctx.route["productId"], if_match=ctx.if_match
    )


@api.route(
    "products/{productId}/price",
    methods=["PUT"],
    auth=ADMIN,
    body=PriceUpdate,
    response=ProductPublic,
    errors=(412, 428),
    headers=IF_MATCH,
    response_headers=ETAG,
)
def catalog_update_price(ctx: RequestContext) -> Response:
    """Change the price (kept in the history; emits PriceUpdated); requires If-Match."""
    if_match = ctx.require_if_match()
    result = service.update_price(
        store=get_document_store(),
        product_id=ctx.route["productId"],
        price=ctx.body_as(PriceUpdate).price,
        if_match=if_match,
    )
    return _product(result)


@api.route("products/{productId}/prices", methods=["GET"], response=PriceHistoryPublic)
def catalog_price_history(ctx: RequestContext) -> PriceHistoryPublic:
    """Every price the product had, oldest first."""
    return service.price_history(store=get_document_store(), product_id=ctx.route["productId"])


@api.route(
    "products/{productId}/images",
    methods=["POST"],
    auth=ADMIN,
    response=ImagePublic,
    status=201,
    errors=(413, 415, 422),
    response_headers=("Location",),
)
def catalog_add_image(ctx: RequestContext) -> Response:
    """Upload an image (the body is the bytes, Content-Type image/*); its URL joins `images`."""
    url = images.add_image(
        store=get_document_store(),
        blobs=get_blob_store(),
        product_id=ctx.route["productId"],
        data=ctx.req.get_body(),
        content_type=ctx.header("content-type"),
    )
    return Response(ImagePublic(url=url), status=201, headers={"Location": url})


@api.route("products/{productId}/images/{imageId}", methods=["GET"], response_headers=ETAG)
def catalog_get_image(ctx: RequestContext) -> Response:
    """The image bytes behind a product's image URL."""
    image = images.get_image(
        blobs=get_blob_store(), product_id=ctx.route["productId"], image_id=ctx.route["imageId"]
    )
    headers = {
        "ETag": etag_header(image.etag),
        "Cache-Control": "public, max-age=31536000, immutable",  # image ids are never reused
        "X-Content-Type-Options": "nosniff",
        # An uploaded SVG must not run script in our origin.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    return Response(image.data, headers=headers, mimetype=image.content_type)


@api.route("categories", methods=["GET"], query=ListQuery, response=CategoriesPublic)
def catalog_list_categories(ctx: RequestContext) -> CategoriesPublic:
    q = ctx.query_as(ListQuery)
    return taxonomy.list_categories(
        store=get_document_store(), limit=q.limit, continuation_token=q.continuation_token
    )


@api.route(
    "categories", methods=["POST"], auth=ADMIN, body=CategoryCreate, response=CategoryPublic, status=201
)
def catalog_create_category(ctx: RequestContext) -> CategoryPublic:
    return taxonomy.create_category(store=get_document_store(), data=ctx.body_as(CategoryCreate))


@api.route("brands", methods=["GET"], query=ListQuery, response=BrandsPublic)
def catalog_list_brands(ctx: RequestContext) -> BrandsPublic:
    q = ctx.query_as(ListQuery)
    return taxonomy.list_brands(
        store=get_document_store(), limit=q.limit, continuation_token=q.continuation_token
    )


@api.route("brands", methods=["POST"], auth=ADMIN, body=BrandCreate, response=BrandPublic, status=201)
def catalog_create_brand(ctx: RequestContext) -> BrandPublic:
    return taxonomy.create_brand(store=get_document_store(), data=ctx.body_as(BrandCreate))
