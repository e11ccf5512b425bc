"""The users provisioner: a Lambda-backed CloudFormation custom resource that runs db-users.sql,
and (the same function, for a Custom::AdoptedLogGroup request) keeps the proxy's log group
(log_groups.py).

Create and Update read the admin's and each user's secret, put each password's SQL form in its
placeholder (in memory), connect as the admin over verified TLS and run the SQL block by block;
on Update, users no longer listed have their login disabled (their objects stay), never the
admin's or a LeaveAlone user's (the master). Delete disables every user's login but the admin's
and always succeeds, so neither a stack's deletion nor a rollback can hang on a database that is
gone. Every invocation answers CloudFormation exactly once, before the
function's timeout (CloudFormation User Guide, "Custom resources": the stack waits for the
response up to an hour otherwise).

Lambda's Handler: handler.handler (runtime python3.13; the modules sit at the artifact's root).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import traceback
from typing import Any

from aws_calls import AwsClients, default_clients, endpoint, secret
from cfn_response import Responder
from databases import connect, describe, error_code, server_message, tls_context
from failures import ProvisionError, redact, with_hint
import log_groups
from passwords import sql_form
from resource_properties import Properties, User, parse
from sql_blocks import placeholders, split_blocks, substitute

LOG = logging.getLogger("provisioner")
LOG.setLevel(logging.INFO)

CA_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rds-ca-bundle.pem")
RESPONSE_MARGIN_S = 5.0  # kept back from the function's timeout to respond in
CONNECT_TIMEOUT_S = 10.0
# The PhysicalResourceId of a Create that failed: the Delete CloudFormation sends when it rolls
# that Create back has nothing to undo.
FAILED_CREATE = "-create-failed"


class Clock:
    """The time left before the response must go out; every network wait is bounded by it."""

    def __init__(self, context: Any) -> None:
        millis = context.get_remaining_time_in_millis() if context is not None else 900_000
        self.total = max(0.0, millis / 1000 - RESPONSE_MARGIN_S)
        self._end = time.monotonic() + self.total

    def left(self) -> float:
        return max(1.0, self._end - time.monotonic())


def created_id(event: dict[str, Any]) -> str:
    # Derived from the stack and the resource only, never from the target: CloudFormation deletes
    # the old resource when an Update returns a new id, which would disable every login.
    digest = hashlib.sha256(str(event.get("StackId", "")).encode()).hexdigest()[:12]
    return f"{event.get('LogicalResourceId', 'DatabaseUsers')}-{digest}"


def handler(event: dict[str, Any], context: Any, aws: AwsClients | None = None) -> None:
    request = event.get("RequestType")
    LOG.info("%s request for %s", request, event.get("LogicalResourceId"))
    clock = Clock(context)
    responder = Responder(event)
    progress = {"step": "starting"}
    incoming_id = event.get("PhysicalResourceId") or created_id(event)
    failed_id = incoming_id + FAILED_CREATE if request == "Create" else incoming_id

    def out_of_time() -> None:
        status = "SUCCESS" if request == "Delete" else "FAILED"
        responder.respond(status, f"the provisioner ran out of time (the function's Timeout) at {progress['step']}",
                          failed_id, timeout=RESPONSE_MARGIN_S - 1)

    watchdog = threading.Timer(clock.total, out_of_time)
    watchdog.daemon = True
    watchdog.start()
    try:
        if request not in ("Create", "Update", "Delete"):
            raise ProvisionError(f"RequestType must be Create, Update or Delete, got {request!r}")
        if event.get("ResourceType") == log_groups.TYPE:
            status, (reason, physical_id) = "SUCCESS", log_group(event, aws, clock, progress, incoming_id)
        elif request == "Delete":
            status, reason, physical_id = "SUCCESS", delete(event, aws, clock, progress), incoming_id
        else:
            status, reason, physical_id = "SUCCESS", apply(event, aws, clock, progress), incoming_id
    except ProvisionError as exc:
        LOG.error("%s failed: %s", request, exc)
        status, reason, physical_id = "FAILED", str(exc), failed_id
    except Exception as exc:  # noqa: BLE001 - always answer; frames only, the message could hold anything
        LOG.error("unexpected %s at %s\n%s", type(exc).__name__, progress["step"],
                  "".join(traceback.format_tb(exc.__traceback__)))
        status, reason, physical_id = "FAILED", f"unexpected {type(exc).__name__} at {progress['step']}", failed_id
    finally:
        watchdog.cancel()
    if request == "Delete":
        status = "SUCCESS"  # never let a deletion or a rollback hang
    responder.respond(status, reason, physical_id, timeout=min(clock.left(), 10.0))


def log_group(event: dict[str, Any], aws: AwsClients | None, clock: Clock, progress: dict[str, str],
              incoming_id: str) -> tuple[str, str]:
    """The reason and the physical id (the group's name: a new name is a new group, and
    CloudFormation then deletes the old one unless the template keeps it)."""
    request = event.get("RequestType")
    if request == "Delete":
        return "kept the log group (its logs outlive the stack; the next create adopts it)", incoming_id
    group = log_groups.parse(event.get("ResourceProperties"))
    old = None
    if request == "Update" and event.get("OldResourceProperties"):
        try:
            old = log_groups.parse(event["OldResourceProperties"])
        except ProvisionError:
            old = None  # nothing to untag from a value that never applied
    progress["step"] = f"log group {group.name}"
    return log_groups.keep((aws or default_clients(clock.left())).logs, group, old), group.name


def _connect(props: Properties, aws: AwsClients, clock: Clock, database: str | None):
    host, port = endpoint(aws.rds, props.instance, props.cluster)
    admin = secret(aws.secretsmanager, props.admin_secret_arn, "the admin (AdminSecretArn)", ("username", "password"))
    context = tls_context(ca_pem=props.ca_bundle) if props.ca_bundle else tls_context(ca_file=CA_BUNDLE)
    LOG.info("connecting to %s:%s as %s", host, port, admin["username"])
    session = connect(props.engine, host, port, database, admin["username"], admin["password"], context,
                      connect_timeout=min(CONNECT_TIMEOUT_S, clock.left()), timeout=clock.left())
    return session, admin


def _failure(what: str, exc: Exception, engine: str, secrets: list[str]) -> ProvisionError:
    said = server_message(exc)
    if said:
        LOG.warning("%s: the server said: %s", what, redact(said, secrets))
    return ProvisionError(with_hint(f"{what} failed: {describe(exc, engine)}", error_code(exc)))


def apply(event: dict[str, Any], aws: AwsClients | None, clock: Clock, progress: dict[str, str]) -> str:
    props = parse(event.get("ResourceProperties"))
    old_users = parse(event["OldResourceProperties"], need_sql=False).users \
        if event.get("RequestType") == "Update" and event.get("OldResourceProperties") else ()
    blocks = split_blocks(props.sql)
    password_users = {user.username: user for user in props.users if user.password_form}
    unknown = sorted(placeholders(props.sql) - set(password_users))
    if unknown:
        raise ProvisionError(f"Sql holds the password placeholder of {unknown[0]}, whom Users gives no PasswordForm")
    aws = aws or default_clients(clock.left())
    forms: dict[str, str] = {}
    secrets: list[str] = []
    for user in password_users.values():
        progress["step"] = f"the secret of {user.username}"
        password = secret(aws.secretsmanager, user.secret_arn, f"user {user.username}", ("password",))["password"]
        forms[user.username] = sql_form(user.password_form, user.username, password)
        secrets += [password, forms[user.username]]
    listed = {user.username for user in props.users}
    progress["step"] = "connecting"
    session, admin = _connect(props, aws, clock, props.database)
    secrets.append(admin["password"])
    # Never disable the admin's login: the admin is the master, whom the params mark users[].master.
    removed = [user for user in old_users
               if user.username not in listed and user.username not in props.leave_alone
               and user.username != admin["username"]]
    try:
        _refuse_admin_with_another_password(props, admin["username"])
        for block in blocks:
            progress["step"] = f"block {block.name!r}"
            LOG.info("running block %r", block.name)
            try:
                session.run(substitute(block.sql, forms))
            except Exception as exc:  # noqa: BLE001 - a driver error, named by its block and code
                session.rollback()
                raise _failure(f"block {block.name[:100]!r}", exc, props.engine, secrets) from None
        for user in removed:
            progress["step"] = f"disabling {user.username}"
            try:
                session.run(user.disable)
            except Exception as exc:  # noqa: BLE001
                raise _failure(f"disabling the login of removed user {user.username}", exc, props.engine,
                               secrets) from None
            LOG.info("disabled the login of removed user %s", user.username)
    finally:
        session.close()
    done = f"ran {len(blocks)} blocks of Sql for {len(props.users)} users"
    return done + (f"; disabled the logins of {', '.join(u.username for u in removed)}" if removed else "")


def _refuse_admin_with_another_password(props: Properties, admin: str) -> None:
    """Users naming the admin with any secret but the admin's own (or as an IAM user) would have the
    Sql reset the admin's password, breaking the secret RDS keeps for it. With the admin's own
    secret the reset changes nothing; a stack from before users[].master may list it so, and its
    update rollback must still run."""
    for user in props.users:
        if user.username == admin and user.secret_arn != props.admin_secret_arn:
            raise ProvisionError(f"Users names {admin}, the admin the provisioner signs in as (AdminSecretArn), with "
                                 "another secret: the Sql would reset the admin's password; mark that user master: "
                                 "true in the params")
        if user.username == admin:
            LOG.warning("Users names %s, the admin, with the admin's own secret: mark it master: true in the params",
                        admin)


def delete(event: dict[str, Any], aws: AwsClients | None, clock: Clock, progress: dict[str, str]) -> str:
    """Best effort: whatever fails is logged as a warning and the answer is SUCCESS anyway."""
    if str(event.get("PhysicalResourceId", "")).endswith(FAILED_CREATE):
        LOG.info("the Create failed: nothing to disable")
        return "nothing to disable: the Create failed"
    try:
        props = parse(event.get("ResourceProperties"), need_sql=False)
    except ProvisionError as exc:
        LOG.warning("no login could be disabled: %s", exc)
        return f"no login disabled: {exc}"
    users = [user.username for user in props.users]
    try:
        progress["step"] = "connecting"
        # MySQL: the users are the server's, not a database's; connect to none (it may be gone).
        session, admin = _connect(props, aws or default_clients(clock.left()), clock,
                                  props.database if props.engine == "postgres" else None)
    except ProvisionError as exc:
        LOG.warning("could not disable the logins of %s: %s", ", ".join(users) or "no user", exc)
        return f"logins not disabled ({exc})"
    left: list[str] = []
    # Never lock out the admin, even where Users lists it (see _refuse_admin_with_another_password).
    users = [name for name in users if name != admin["username"]]
    try:
        for user in (user for user in props.users if user.username in users):
            progress["step"] = f"disabling {user.username}"
            if not _disable(session, user, props.engine, [admin["password"]]):
                left.append(user.username)
    finally:
        session.close()
    if left:
        return f"could not disable the logins of {', '.join(left)} (see the log)"
    return f"disabled the logins of {', '.join(users)}" if users else "no user to disable"


def _disable(session, user: User, engine: str, secrets: list[str]) -> bool:
    try:
        session.run(user.disable)
    except Exception as exc:  # noqa: BLE001
        LOG.warning("%s", _failure(f"disabling the login of {user.username}", exc, engine, secrets))
        return False
    LOG.info("disabled the login of %s", user.username)
    return True
