// The interactive API page: Swagger UI served by this server (no CDN, so it works on offline kiosks and
// under the pages' Content-Security-Policy, which forbids inline scripts).
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // the default validator is a remote service
  tryItOutEnabled: true,
});
