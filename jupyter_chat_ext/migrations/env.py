"""Alembic environment: runs on the connection that ``migrate`` hands over."""

from alembic import context

from jupyter_chat_ext.apikeys import orm as _apikeys  # noqa: F401
from jupyter_chat_ext.chats import orm as _chats  # noqa: F401
from jupyter_chat_ext.core.orm import Base
from jupyter_chat_ext.folders import orm as _folders  # noqa: F401
from jupyter_chat_ext.migrations import orm_managed
from jupyter_chat_ext.presets import orm as _presets  # noqa: F401
from jupyter_chat_ext.providers import orm as _providers  # noqa: F401
from jupyter_chat_ext.users import orm as _users  # noqa: F401

connection = context.config.attributes["connection"]


context.configure(
    connection=connection,
    include_name=orm_managed,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
