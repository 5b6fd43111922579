# Operators: thin wrappers over runtime (UI jobs) and api (background mode).
from .commands import RECON_OT_refresh_commands, RECON_OT_run_command
from .connection import RECON_OT_reconnect, RECON_OT_start_daemon
from .job import RECON_OT_cancel
from .reconstruct import RECON_OT_reconstruct_from_photo

classes = (
    RECON_OT_reconstruct_from_photo,
    RECON_OT_cancel,
    RECON_OT_reconnect,
    RECON_OT_start_daemon,
    RECON_OT_refresh_commands,
    RECON_OT_run_command,
)
