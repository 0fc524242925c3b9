"""Product images: the bytes go to the blob store, the product keeps a URL.

The URL is this app's own route, `/api/products/{productId}/images/{imageId}` (relative, so it is
right behind devhost, the Functions host and API Management alike), which streams the blob. That
keeps the storage account private (no public blob access, no SAS to mint) and works the same
with the folder adapter in devhost. Image ids are never reused, so responses are cacheable forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.catalog.cache import cache
from shared.catalog.events import ProductModified
from shared.catalog.repository import CatalogRepository
from shared.kernel.errors import DomainError, NotFound, ValidationFailed
from shared.kernel.ids import new_id
from shared.messaging.events import new_event
from shared.ports.blobs import BlobNotFound, BlobStore
from shared.ports.documents import DocumentStore
from shared.storage.retry import retry_on_conflict

IMAGES_CONTAINER = "images"
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_IMAGE_TYPE = re.compile(r"^image/[a-z0-9.+-]{1,50}$")
_IMAGE_ID = re.compile(r"^[0-9a-f]{32}$")
# Product ids are server-generated (hex); no dots or slashes, so a route value cannot walk the
# blob namespace ("../..") and make the blob store refuse the name with a 500.
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


@dataclass(frozen=True)
class Image:
    data: bytes
    content_type: str
    etag: str


def image_url(product_id: str, image_id: str) -> str:
    return f"/api/products/{product_id}/images/{image_id}"


def _blob_name(product_id: str, image_id: str) -> str:
    return f"products/{product_id}/{image_id}"


def add_image(
    *, store: DocumentStore, blobs: BlobStore, product_id: str, data: bytes, content_type: str | None
) -> str:
    """Store the bytes and append their URL to the product's images; returns the URL."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if not _IMAGE_TYPE.match(media_type):
        raise UnsupportedMediaType("the body must be image bytes with an image/* Content-Type")
    if not data:
        raise ValidationFailed.field("body", "the image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(f"images are at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    repo = CatalogRepository(store)
    if repo.get_product(product_id) is None:
        raise NotFound(f"product {product_id} does not exist")
    image_id = new_id()
    # Blob first: a crash before the product write leaves an unreferenced blob, never a broken URL.
    blobs.container(IMAGES_CONTAINER).put(_blob_name(product_id, image_id), data, content_type=media_type)
    url = image_url(product_id, image_id)

    def attach() -> None:
        doc = repo.get_product(product_id)
        if doc is None:
            raise NotFound(f"product {product_id} does not exist")
        etag = doc["_etag"]
        doc["images"] = [*doc.get("images", []), url]
        doc["updatedAt"] = datetime.now(UTC).isoformat()
        event = new_event(
            ProductModified(product_id=product_id, changed=["images"], skus=doc["skus"]), subject=product_id
        )
        repo.replace_product(doc, if_match=etag, events=[event])
        cache.on_event(event)

    retry_on_conflict(attach, attempts=20)
    return url


def get_image(*, blobs: BlobStore, product_id: str, image_id: str) -> Image:
    if not (_IMAGE_ID.match(image_id) and _PRODUCT_ID.match(product_id)):
        raise NotFound("no such image")
    try:
        blob = blobs.container(IMAGES_CONTAINER).get(_blob_name(product_id, image_id))
    except BlobNotFound:
        raise NotFound("no such image") from None
    return Image(blob.data, blob.properties.content_type, blob.properties.etag)
