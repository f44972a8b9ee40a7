// The opt-in for browser notifications of finished and failed jobs (browser-notify.ts): asks for
// the browser's permission on the click that turns it on, then listens to the live job updates.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { useStore } from "../store";
import { useApp } from "../ui/context";
import {
  browserNotifySupported,
  browserNotifyWanted,
  jobNotice,
  setBrowserNotifyWanted,
} from "./browser-notify";

export function BrowserNotifyToggle() {
  const { live, managerName } = useApp().state;
  const name = useStore(managerName);
  const [on, setOn] = useState(browserNotifyWanted);
  const [refused, setRefused] = useState(false);

  useEffect(() => {
    if (!on) return;
    return live.on("/jobs", (u) => {
      const notice = jobNotice(u, name);
      if (notice && document.visibilityState === "hidden") {
        new Notification(notice.title, { body: notice.body, tag: notice.tag });
      }
    });
  }, [on, name]);

  if (!browserNotifySupported()) return null;
  const toggle = async () => {
    if (on) {
      setBrowserNotifyWanted(false);
      setOn(false);
      return;
    }
    const permission = await Notification.requestPermission();
    setRefused(permission !== "granted");
    if (permission !== "granted") return;
    setBrowserNotifyWanted(true);
    setOn(true);
  };
  return (
    <button
      type="button"
      class="link-button browser-notify"
      aria-pressed={on}
      title={
        refused
          ? "The browser refused; allow notifications for this site in its settings"
          : "Notify me when a job completes or fails while this tab is in the background"
      }
      onClick={() => void toggle()}
    >
      {on ? "Desktop notifications: on" : "Desktop notifications: off"}
    </button>
  );
}
