import { newId } from "../../lib/ids";
import { trimmed } from "../../lib/sdk-fields";
import type { Tx } from "../../store/db";
import type { StoredEvent } from "../pipeline/event";
import { insertFeedback } from "./repository";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Sentry's user feedback (`Sentry.captureFeedback`, the feedback widget) is stored as an event of
 * kind `feedback`; the commit that stores it also files it as feedback, so it is triaged with
 * Owlmetry's on the Feedback page. Its `client_event_id` is the Sentry event id, which the
 * envelope's attachments (the widget's screenshot) are linked to.
 */
export async function fileSentryFeedback(tx: Tx, events: readonly StoredEvent[]): Promise<void> {
  for (const event of events) {
    if (event.kind !== "feedback" || !event.payload) continue;
    const item = JSON.parse(event.payload) as { contexts?: { feedback?: Record<string, unknown> } };
    const feedback = item.contexts?.feedback ?? {};
    const email = trimmed(feedback.contact_email, 320);
    await insertFeedback(tx, {
      id: newId(),
      appId: event.appId,
      projectId: event.projectId,
      sessionId: event.sessionId,
      userId: event.userId,
      message: trimmed(feedback.message, 4000) ?? event.message,
      submitterName: trimmed(feedback.name, 255),
      submitterEmail: email !== null && EMAIL.test(email) ? email : null,
      isDev: event.isDev,
      environment: event.environment,
      osVersion: event.osVersion,
      appVersion: event.appVersion,
      sdkName: event.sdkName,
      sdkVersion: event.sdkVersion,
      deviceModel: event.deviceModel,
      countryCode: event.countryCode,
      screenName: trimmed(feedback.url, 255) ?? event.screenName,
      clientEventId: event.clientEventId,
      createdAt: new Date(event.receivedAt),
    });
  }
}
