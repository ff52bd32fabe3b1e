/** The fixed word lists of Owlmetry's protocol, shared by validation, filters and queries. */
export const LEVELS = ["info", "debug", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

export const PLATFORMS = ["apple", "android", "web", "backend"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const PLATFORM_ENVIRONMENTS: Record<Platform, readonly string[]> = {
  apple: ["ios", "ipados", "macos", "watchos", "tvos", "visionos"],
  android: ["android"],
  web: ["web"],
  backend: ["backend"],
};

export const ENVIRONMENTS: readonly string[] = Object.values(PLATFORM_ENVIRONMENTS).flat();
