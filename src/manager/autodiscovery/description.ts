// The UPnP device description at /upnp/description.xml, where every advertisement's LOCATION
// points. Flamenco's workers do not read it (they only take the URL's host and port), but UPnP
// tools do; it is served only while the Manager advertises itself.
import { declareRoute, errorResponse, type ApiApp } from "../api/http";
import { DESCRIPTION_PATH, FLAMENCO_DEVICE_UUID, FLAMENCO_SERVICE_TYPE } from "../../shared/ssdp";
import { PRODUCT_NAME, PRODUCT_VERSION } from "../../shared/version";

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** The device description, with the Manager's name shown to UPnP browsers. */
export function descriptionXml(managerName: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion>
    <major>1</major>
    <minor>0</minor>
  </specVersion>
  <URLBase>/</URLBase>
  <device>
    <deviceType>${FLAMENCO_SERVICE_TYPE}</deviceType>
    <friendlyName>${xmlText(`${managerName} (${PRODUCT_NAME} ${PRODUCT_VERSION})`)}</friendlyName>
    <manufacturer>${PRODUCT_NAME}</manufacturer>
    <modelDescription>Render-farm manager, compatible with Flamenco</modelDescription>
    <modelName>Flamenco</modelName>
    <modelURL>https://flamenco.blender.org/</modelURL>
    <UDN>uuid:${FLAMENCO_DEVICE_UUID}</UDN>
    <presentationURL>/</presentationURL>
  </device>
</root>
`;
}

export interface DescriptionDeps {
  /** Whether the Manager advertises itself right now. */
  active: () => boolean;
  managerName: () => string;
}

/** Public, like the advertisements that point to it: anyone on the network may discover the Manager. */
export function registerDescriptionRoute(app: ApiApp, deps: DescriptionDeps): void {
  declareRoute(app, ["GET"], DESCRIPTION_PATH, "public", (c) => {
    if (!deps.active())
      return errorResponse(c, 404, "autodiscovery (UPnP/SSDP) is not active on this Manager");
    return c.body(descriptionXml(deps.managerName()), 200, {
      "content-type": "application/xml; charset=UTF-8",
    });
  });
}
