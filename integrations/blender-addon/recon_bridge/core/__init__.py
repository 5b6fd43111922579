"""The add-on's core: no ``bpy`` here, so it runs (and is tested) in plain Python.

- ``websocket``: a minimal RFC 6455 client (handshake, masking, fragments, ping/pong, close).
- ``jsonrpc``: JSON-RPC 2.0 over it, with a reader thread.
- ``discovery``: the daemon's discovery file, token file and CLI.
- ``client``: the daemon's protocol (initialize, recon.reconstruct, job.cancel, result.read, commands.*).
- ``jobs``: one job from photo to local files; ``link``: the UI's reconnecting connection.
- ``frames``, ``glb``, ``results``: frame maths, the GLB reader, result.json.
"""
