/**
 * What Apple's AdServices API says of an attribution token, as user properties (Owlmetry's
 * mapping): attributed installs get the campaign ids Apple gives (0 means none), organic ones
 * `attribution_source: none`; a record Apple has not made yet is pending.
 */
export type Resolution =
  | { kind: "resolved"; attributed: boolean; properties: Record<string, string> }
  | { kind: "pending"; retryAfterSeconds: number }
  | { kind: "upstream"; status: number; message: string };

const IDS = [
  ["campaignId", "asa_campaign_id"],
  ["adGroupId", "asa_ad_group_id"],
  ["keywordId", "asa_keyword_id"],
  ["adId", "asa_ad_id"],
  ["creativeSetId", "asa_creative_set_id"],
] as const;

const NOT_ATTRIBUTED: Resolution = {
  kind: "resolved",
  attributed: false,
  properties: { attribution_source: "none" },
};

function fromApple(body: Record<string, unknown>): Resolution {
  if (body.attribution !== true) return NOT_ATTRIBUTED;
  const ids = IDS.map(([from]) => body[from]);
  // Apple's test-install record (TestFlight, simulator, development builds): the same id thrice.
  if (typeof ids[0] === "number" && ids[0] > 0 && ids[0] === ids[1] && ids[1] === ids[3]) {
    return { kind: "resolved", attributed: false, properties: { attribution_source: "apple_test_install" } };
  }
  const properties: Record<string, string> = { attribution_source: "apple_search_ads" };
  for (const [from, to] of IDS) {
    const value = body[from];
    if (typeof value === "number" && value > 0) properties[to] = String(value);
  }
  if (typeof body.claimType === "string" && body.claimType) properties.asa_claim_type = body.claimType;
  return { kind: "resolved", attributed: true, properties };
}

/** Asks Apple about a token: 200 says, 404 is not ready yet, 400 is an organic install. */
export async function resolveWithApple(url: string, token: string): Promise<Resolution> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: token,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    return { kind: "upstream", status: 0, message: String(error) };
  }
  const text = await response.text();
  if (response.status === 404) return { kind: "pending", retryAfterSeconds: 60 };
  if (response.status === 400) return NOT_ATTRIBUTED;
  if (!response.ok) return { kind: "upstream", status: response.status, message: text.slice(0, 500) };
  try {
    return fromApple(JSON.parse(text) as Record<string, unknown>);
  } catch {
    return { kind: "upstream", status: response.status, message: "Apple's answer is not JSON" };
  }
}

/** The answers the SDK's `dev_mock` asks for (Owlmetry's fixtures), without asking Apple. */
export function devMock(mock: unknown): Resolution | null {
  if (mock === "attributed") {
    return fromApple({
      attribution: true,
      campaignId: 542370539,
      adGroupId: 542317095,
      keywordId: 87675432,
      creativeSetId: 542317096,
      adId: 542317097,
      claimType: "click",
    });
  }
  if (mock === "unattributed") return NOT_ATTRIBUTED;
  if (mock === "pending") return { kind: "pending", retryAfterSeconds: 60 };
  return null;
}
