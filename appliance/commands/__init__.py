"""The `enclave` command group, one module per topic."""

from appliance.cli import group as cli
from appliance.commands import audit
from appliance.commands import crypto
from appliance.commands import demo
from appliance.commands import instance
from appliance.commands import keys
from appliance.commands import queues
from appliance.commands import serve
from appliance.commands import users

cli.add_command(instance.init)
cli.add_command(instance.settings_group)
cli.add_command(instance.migrate)
cli.add_command(serve.serve)
cli.add_command(crypto.crypto)
cli.add_command(keys.keys)
cli.add_command(audit.audit)
cli.add_command(users.users)
cli.add_command(queues.queues)
cli.add_command(demo.demo)

__all__ = ["cli"]
