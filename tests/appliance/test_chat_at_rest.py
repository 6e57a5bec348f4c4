"""Chat data at rest, as stored by the app, on SQLite and PostgreSQL.

A message body is sealed with associated data naming its conversation and seq
(appliance/sealed.py `message_context`), a visitor's fields with their visitor and
field: a ciphertext copied to another row or field fails authentication
(crypto.errors.AuthenticationError, code "authentication_failed") instead of
showing the wrong text: the message is delivered in its place as unreadable
(`"text": null, "unreadable": true`), the name as none, each with a WARNING
(test_chat_unreadable.py: every view that shows message text). PII columns hold no
plaintext; the customer's blind index is the keyed HMAC of the crypto library.
"""

from __future__ import annotations

import logging

import pytest

from appliance.db import db
from appliance.models import Conversation
from appliance.models import Message
from appliance.models import Visitor
from appliance.queries.chat import messages_after
from appliance.queries.chat import visitor_name
from appliance.runtime import current_runtime
from appliance.sealed import message_context
from appliance.sealed import unseal
from appliance.sealed import visitor_context
from crypto.errors import AuthenticationError
from tests.appliance.chat_helpers import Chat
from tests.appliance.routing_helpers import bank_app as make_bank_app
from tests.appliance.routing_helpers import customer_token

CUSTOMER_ID = "C-20261120-0042"
NAME = "李娜 Li Na"


@pytest.fixture
def bank_app(any_instance_dir):
    """An app on each backend that accepts the bank's customer tokens."""
    return make_bank_app(any_instance_dir)


@pytest.fixture
def chat(bank_app):
    return Chat(bank_app)


def _body(conversation_id, seq):
    row = Message.get((Message.conversation_id == conversation_id) & (Message.seq == seq))
    return bytes(row.body_enc)


def _put_body(conversation_id, seq, body_enc):
    with db.atomic():
        changed = (
            Message.update(body_enc=body_enc)
            .where((Message.conversation_id == conversation_id) & (Message.seq == seq))
            .execute()
        )
    assert changed == 1


def _read_all(conversation_id):
    conversation = Conversation.get_by_id(conversation_id)
    return messages_after(conversation, 0, 100, include_notes=True)


def test_it_refuses_a_body_copied_to_another_seq_of_the_conversation(chat, caplog):
    agent = chat.agent("ann")
    conversation_id = chat.visitor().start()["id"]
    agent.send(conversation_id, "the first answer")
    agent.send(conversation_id, "the second answer")
    with chat.app.app_context(), db.connection_context():
        moved = _body(conversation_id, 1)
        _put_body(conversation_id, 2, moved)

        with pytest.raises(AuthenticationError) as refused:
            unseal(moved, context=message_context(conversation_id, 2))
        with caplog.at_level(logging.WARNING, logger="appliance.queries.chat"):
            first, second = _read_all(conversation_id)[0]

    assert refused.value.code == "authentication_failed"
    assert (first["text"], "unreadable" in first) == ("the first answer", False)
    assert (second["text"], second["unreadable"]) == (None, True)
    [warning] = [r for r in caplog.records if r.name == "appliance.queries.chat"]
    assert warning.levelno == logging.WARNING
    assert f"conversation={conversation_id} seq=2 " in warning.getMessage()
    assert "error=authentication_failed" in warning.getMessage()


def test_it_refuses_a_body_copied_to_the_same_seq_of_another_conversation(chat):
    agent = chat.agent("ann")
    mine, theirs = chat.visitor(), chat.visitor()
    my_id, their_id = mine.start()["id"], theirs.start()["id"]
    mine.send(my_id, "my card number question")
    theirs.send(their_id, "their loan question")
    with chat.app.app_context(), db.connection_context():
        _put_body(their_id, 1, _body(my_id, 1))
        [moved], _ = _read_all(their_id)
        [untouched], _ = _read_all(my_id)

    assert (moved["text"], moved["unreadable"]) == (None, True)
    assert untouched["text"] == "my card number question"
    [synced] = theirs.sync(their_id)
    assert (synced["text"], synced["unreadable"]) == (None, True)
    assert "my card number" not in repr(synced)
    assert agent.connected


def test_it_stores_a_customers_name_and_id_only_sealed_and_the_id_blind_indexed(chat):
    customer = chat.visitor({"customer_token": customer_token(CUSTOMER_ID, name=NAME)})
    customer.start()
    with chat.app.app_context(), db.connection_context():
        [row] = Visitor.select()
        expected = (
            current_runtime()
            .keyring.blind_index()
            .compute(CUSTOMER_ID, field="visitor.customer_ref")
        )
        name_enc, ref_enc = bytes(row.name_enc), bytes(row.customer_ref_enc)
        assert visitor_name(row) == NAME

    for plaintext in (NAME, "李娜", "Li Na"):
        assert plaintext.encode() not in name_enc
    assert CUSTOMER_ID.encode() not in ref_enc
    assert CUSTOMER_ID not in str(row.customer_bidx)
    # The visitor id is the blind index, cut to 32 hex digits (128 bits): every device
    # of the customer is the same visitor, and the column finds them.
    assert row.customer_bidx == row.id == expected.hex()[:32]


def test_it_refuses_a_visitor_field_copied_to_another_visitor_or_field(chat, caplog):
    agent = chat.agent("ann", capacity=2)
    first = chat.visitor({"customer_token": customer_token("C-1", name="Wang Wei")})
    second = chat.visitor({"customer_token": customer_token("C-2", name="Zhang Min")})
    first.start()
    conversation_id = second.start()["id"]
    second.send(conversation_id, "hello")
    with chat.app.app_context(), db.connection_context():
        one, two = Visitor.select().order_by(Visitor.created_ms, Visitor.id)
        with db.atomic():
            Visitor.update(name_enc=one.name_enc).where(Visitor.id == two.id).execute()
            Visitor.update(name_enc=one.customer_ref_enc).where(Visitor.id == one.id).execute()

        for moved in (Visitor.get_by_id(two.id), Visitor.get_by_id(one.id)):
            with pytest.raises(AuthenticationError):
                unseal(moved.name_enc, context=visitor_context(moved.id, "name"))
            with caplog.at_level(logging.WARNING, logger="appliance.queries.chat"):
                assert visitor_name(moved) is None

    # Shown without a name (the workbench says "visitor"), never as the other customer.
    [message] = agent.sync(conversation_id)
    assert message["text"] == "hello" and message["sender"]["name"] == ""
    panel = agent.ok("customer_history", {"conversation_id": conversation_id})
    assert panel["customer"]["name"] is None
    said = "\n".join(record.getMessage() for record in caplog.records)
    assert "visitor name unreadable" in said
    assert "Wang" not in said and "Zhang" not in said
