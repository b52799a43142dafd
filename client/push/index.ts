// Web Push in the client: subscribe this device, register it with the relay, and talk to the app's service worker about notifications.
export { PushError, describePushError } from './push-error.js';
export { pushApi, type PushApi } from './push-api.js';
export {
  browserPushManager, registerPush, unregisterPush, type PushDeviceOptions, type PushManagerLike, type PushSubscriptionLike,
} from './push-subscriber.js';
export { connectPushBridge, type PushBridgeOptions } from './page-bridge.js';
export { parseRoomLink, roomLink } from './app-link.js';
export { genericNotification, notificationFor, parsePushPayload, readNotificationData, type NotificationContent, type NotificationData } from './notification-content.js';
