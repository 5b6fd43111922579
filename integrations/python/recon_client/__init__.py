"""recon_client: the recon-daemon client in plain Python (standard library only, Python 3.7+).

One source for every Python client of the daemon: installed with ``pip install integrations/python`` for pipeline
scripts and the ``python -m recon_client`` command line, and vendored by ``recon-daemon install-addon`` into the
Blender add-on (``recon_bridge/recon_client``) and the Maya module (``recon_maya/recon_client``).

- ``websocket``: a minimal RFC 6455 client (handshake, masking, fragments, ping/pong, close).
- ``jsonrpc``: JSON-RPC 2.0 over it, with a reader thread.
- ``discovery``: the daemon's discovery file, token file and CLI.
- ``client``: the daemon's protocol (initialize, recon.reconstruct, job.cancel, result.read, commands.*).
- ``jobs``: one job from photo to local files; ``download``: a job's files into a folder; ``link``: an editor's
  reconnecting connection.
- ``frames``, ``glb``, ``results``, ``placement``, ``wrap``: frame maths, the GLB reader, result.json, result
  slots, text wrapping.
- ``host``: the words hints use for the application around the client; ``cli``: the command line.
"""

__version__ = "0.1.0"
