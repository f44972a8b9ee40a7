// The footer: the latest notification for a few seconds, and the full history on demand.
/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { BrowserNotifyToggle } from "../notify/BrowserNotifyToggle";
import { useStore } from "../store";
import { useApp } from "./context";

export function NotificationBar() {
  const { notifications } = useApp().state;
  const latest = useStore(notifications.latest);
  const history = useStore(notifications.history);
  const [open, setOpen] = useState(false);
  return (
    <footer class="footer">
      {open && (
        <section class="notification-history" aria-label="Notification history">
          <ol reversed>
            {[...history].reverse().map((n) => (
              <li key={n.id}>
                <time dateTime={n.time.toISOString()}>{n.time.toLocaleTimeString()}</time> {n.message}
              </li>
            ))}
          </ol>
          {history.length === 0 && <p class="hint">Nothing happened yet.</p>}
        </section>
      )}
      <div class="footer-line">
        <span class="notification-line" role="status" aria-live="polite">
          {latest?.message ?? ""}
        </span>
        <BrowserNotifyToggle />
        <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Hide history" : `History (${history.length})`}
        </button>
      </div>
    </footer>
  );
}
