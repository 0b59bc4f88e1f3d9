"""The applied record in git: the tag `route-reconciler/applied/<cluster>/<vrf>`, annotated, on
the reviewed commit that is on Avi, its message the routes still pending (applied_record.py).

Old readers resolving `<tag>^{commit}` still find the commit; an older lightweight tag reads as a
complete record. The tag is repository content, so it is read strictly and bounded. It only moves
forward: a new record is a compare-and-swap against the value read (`update-ref new old` here,
`push --force-with-lease=<tag>:<read>` on the remote), never a force-push, and a record of a
newer reviewed commit (a descendant) is kept, never overwritten.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import git

from reconciler.applied_record import (
    APPLIED_TAG_PREFIX,
    AppliedRecord,
    RecordOutcome,
    applied_tag,
    check_record_size,
    merged,
    parse_record_message,
    record_message,
)
from reconciler.errors import ApiError, InputError, ReconcilerError
from reconciler.gitstore.commits import fallback_identity
from reconciler.gitstore.remote import git_remote
from reconciler.gitstore.repository import Repository

# Mirrors the remote's records, deleting local ones it does not have: the remote's are the truth.
APPLIED_TAGS_REFSPEC = f"+refs/tags/{APPLIED_TAG_PREFIX}/*:refs/tags/{APPLIED_TAG_PREFIX}/*"
MAX_RECORD_RACES = 5
NO_OBJECT = "0" * 40


@dataclass(frozen=True)
class StoredRecord:
    """A record as read, with the object its tag pointed at then: what the next record is
    compared and swapped against. Both None: nothing was applied yet."""

    tag_value: str | None
    record: AppliedRecord | None


def fetch_applied_records(repository: Repository, remote: str) -> None:
    git_remote(repository, "fetch", remote, "--prune", "--no-tags", APPLIED_TAGS_REFSPEC)


def read_record(repository: Repository, cluster: str, vrf: str) -> StoredRecord:
    tag = applied_tag(cluster, vrf)
    where = f"tag {tag}"
    try:
        value = str(repository.repo.git.rev_parse("--verify", "--quiet", f"refs/tags/{tag}"))
    except git.GitCommandError:
        return StoredRecord(None, None)
    database = repository.repo.odb
    info = database.info(bytes.fromhex(value))
    if info.type == b"commit":
        return StoredRecord(value, AppliedRecord(value))
    if info.type != b"tag":
        raise InputError(f"{where}: points at a {info.type.decode()}, not a commit")
    check_record_size(info.size, where)
    header, _, message = database.stream(bytes.fromhex(value)).read().partition(b"\n\n")
    fields = dict(line.partition(b" ")[::2] for line in header.splitlines())
    if fields.get(b"type") != b"commit":
        raise InputError(f"{where}: tags a {fields.get(b'type', b'?').decode()}, not a commit")
    pending = parse_record_message(message, cluster, vrf, where)
    return StoredRecord(value, AppliedRecord(fields[b"object"].decode(), pending))


def write_record(
    repository: Repository,
    cluster: str,
    vrf: str,
    record: AppliedRecord,
    seen: StoredRecord,
    remote: str | None,
) -> RecordOutcome:
    """Record `record` over `seen`, the record this apply planned from; `remote` None: the
    repository has no remote and the local tag is the record."""
    tag = f"refs/tags/{applied_tag(cluster, vrf)}"
    for _ in range(MAX_RECORD_RACES):
        current = seen.record
        if current == record:
            return RecordOutcome("unchanged", record)
        if (
            current is not None
            and current.commit != record.commit
            and repository.is_ancestor(record.commit, current.commit)
        ):
            return RecordOutcome("newer kept", current)
        new_value = _tag_object(repository, tag, record, cluster, vrf)
        try:
            repository.repo.git.update_ref(tag, new_value, seen.tag_value or NO_OBJECT)
        except git.GitCommandError:
            raise ReconcilerError(
                f"{tag} moved in {repository.root} while this apply was recording; rerun"
            ) from None
        if remote is None:
            return RecordOutcome("recorded", record)
        lease = f"--force-with-lease={tag}:{seen.tag_value or ''}"
        try:
            git_remote(repository, "push", remote, lease, f"{tag}:{tag}")
        except ApiError:
            fetch_applied_records(repository, remote)
            fresh = read_record(repository, cluster, vrf)
            if fresh.tag_value == seen.tag_value:
                raise  # nobody else recorded: the push itself failed
        else:
            return RecordOutcome("recorded", record)
        if fresh.record is not None and fresh.record.commit == record.commit:
            record = AppliedRecord(record.commit, merged(record.pending, fresh.record.pending))
        seen = fresh
    raise ApiError(f"{tag}: other applies kept recording at the same time; rerun")


def _tag_object(
    repository: Repository, tag: str, record: AppliedRecord, cluster: str, vrf: str
) -> str:
    repo = repository.repo
    with repo.git.custom_environment(**fallback_identity(repo)):
        tagger = repo.git.var("GIT_COMMITTER_IDENT")
    name = tag.removeprefix("refs/tags/")
    content = (
        f"object {record.commit}\ntype commit\ntag {name}\ntagger {tagger}\n\n"
        + record_message(cluster, vrf, record.pending)
    )
    with tempfile.TemporaryFile() as body:
        body.write(content.encode("utf-8"))
        body.seek(0)
        return str(repo.git.execute(["git", "mktag"], istream=body))
