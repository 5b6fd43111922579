# Operators whose work finishes later (on a background thread, applied by runtime.pump) stay modal with a
# window timer, passing every event through, and report when the work is done: the report lands in the status
# bar and the Info editor like any operator's. In background mode (no event loop) they run synchronously.
import bpy


class WaitAndReport(object):
    """Mixin: call ``self.wait_for(context, done_event)``; implement ``finish(context) -> set``."""

    _timer = None

    def wait_for(self, context, done_event):
        self._done = done_event
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "TIMER" and self._done.is_set():
            self._stop_timer(context)
            return self.finish(context)
        return {"PASS_THROUGH"}

    def cancel(self, context):
        self._stop_timer(context)

    def _stop_timer(self, context):
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None


def can_wait(context):
    """A modal wait needs an event loop and a window."""
    return not bpy.app.background and context.window is not None
