import type { Level } from "../../lib/vocab";

/** An event that passed validation: what every ingest path hands the write queue, with the fields below. */
export interface ValidEvent {
  clientEventId: string;
  sessionId: string;
  userId: string | null;
  level: Level;
  sourceModule: string | null;
  message: string;
  screenName: string | null;
  /** JSON object text, or null when none were sent. */
  customAttributes: string | null;
  experiments: string | null;
  environment: string;
  osVersion: string | null;
  appVersion: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  buildNumber: string | null;
  deviceModel: string | null;
  locale: string | null;
  isDev: boolean;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** An event as stored: its validated fields plus what the server adds. */
export interface StoredEvent extends ValidEvent {
  id: string;
  appId: string;
  projectId: string;
  apiKeyId: string;
  countryCode: string | null;
  receivedAt: number;
}
