// Desktop notifications for new messages while the app is hidden or another room is open, with a per-room mute kept on this device.

const muteKey = (userId: string): string => `parley:muted:${userId}`;

/** Notification permission and per-room mutes of one user. */
export class Notifier {
  private muted: Set<string>;

  constructor(private readonly userId: string) {
    let rooms: unknown = [];
    try {
      rooms = JSON.parse(localStorage.getItem(muteKey(userId)) ?? '[]');
    } catch {
      rooms = [];
    }
    this.muted = new Set(Array.isArray(rooms) ? rooms.filter((r): r is string => typeof r === 'string') : []);
  }

  /** `granted`, `denied`, `default` (not asked yet) or `unsupported`. */
  get permission(): NotificationPermission | 'unsupported' {
    return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
  }

  /** Asks for permission (call from a click: browsers ignore requests without a user gesture). */
  async enable(): Promise<void> {
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') await Notification.requestPermission();
  }

  isMuted(room: string): boolean {
    return this.muted.has(room);
  }

  setMuted(room: string, muted: boolean): void {
    if (muted) this.muted.add(room);
    else this.muted.delete(room);
    localStorage.setItem(muteKey(this.userId), JSON.stringify([...this.muted]));
  }

  /** Shows a notification unless the room is muted or the user is looking at that room right now. */
  notify(room: string, title: string, body: string, lookingAtRoom: boolean, onClick: () => void): Notification | undefined {
    if (this.muted.has(room) || this.permission !== 'granted') return undefined;
    if (lookingAtRoom && document.visibilityState === 'visible') return undefined;
    // One notification per room: a newer message replaces the older one (same tag).
    const notification = new Notification(title, { body, tag: `parley:${room}` });
    notification.onclick = () => {
      window.focus();
      onClick();
      notification.close();
    };
    return notification;
  }
}
