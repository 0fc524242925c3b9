"""Named, versioned templates in the document store.

Partition = template name. Each save writes an immutable version document (`v000001`, ...) and
moves the `head` document to it, both in one transactional batch, conditional on the head's ETag:
two admins saving at once cannot both become version N (the loser gets 409 and retries), and
older versions stay for audit. A name nobody saved yet is served from the built-in defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.kernel.errors import Conflict, NotFound
from shared.notifications.defaults import BUILTIN
from shared.notifications.model import TEMPLATES_CONTAINER, TemplateIn, TemplatePublic
from shared.ports.documents import BatchFailed, BatchOp, Container, DocumentNotFound, DocumentStore, Query

HEAD_ID = "head"


def _builtin(name: str) -> TemplatePublic:
    template = BUILTIN[name]
    return TemplatePublic(name=name, kind=template.kind, version=0, variants=template.variants, builtin=True)


def _from_doc(doc: dict[str, object]) -> TemplatePublic:
    return TemplatePublic.model_validate(doc["template"])


@dataclass
class TemplateStore:
    store: DocumentStore

    @property
    def container(self) -> Container:
        return self.store.container(TEMPLATES_CONTAINER, "/name", indexes=("kind",))

    def get(self, name: str) -> TemplatePublic:
        """The current version of `name` (built-in when never saved); NotFound if neither."""
        try:
            return _from_doc(self.container.read(HEAD_ID, name))
        except DocumentNotFound:
            if name in BUILTIN:
                return _builtin(name)
            raise NotFound(f"no template named {name!r}") from None

    def list_all(self) -> list[TemplatePublic]:
        heads = self.container.query_all(Query())
        saved = {t.name: t for t in (_from_doc(d) for d in heads if d.get("id") == HEAD_ID)}
        merged = {name: _builtin(name) for name in BUILTIN} | saved
        return [merged[name] for name in sorted(merged)]

    def save(self, name: str, template: TemplateIn, *, by: str) -> TemplatePublic:
        """Store `template` as the next version of `name` (call validate_template first)."""
        container = self.container
        try:
            head = container.read(HEAD_ID, name)
            current, etag = int(head["template"]["version"]), str(head["_etag"])
        except DocumentNotFound:
            head, current, etag = None, 0, None
        saved = TemplatePublic(
            name=name,
            kind=template.kind,
            version=current + 1,
            variants=template.variants,
            updated_at=datetime.now(UTC),
            updated_by=by,
        )
        body = saved.model_dump(mode="json", by_alias=True)
        version_doc = {"id": f"v{saved.version:06d}", "name": name, "kind": saved.kind, "template": body}
        head_doc = {"id": HEAD_ID, "name": name, "kind": saved.kind, "template": body}
        head_op = (
            BatchOp("create", document=head_doc)
            if head is None
            else BatchOp("replace", document=head_doc, if_match=etag)
        )
        try:
            container.batch(name, [BatchOp("create", document=version_doc), head_op])
        except BatchFailed as exc:
            raise Conflict(
                f"template {name!r} was changed concurrently; retry", code="template_conflict"
            ) from exc
        return saved
