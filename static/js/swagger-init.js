// Starts the vendored Swagger UI for /api/v1/docs from the JSON settings in the page
// (no inline script, so a Content-Security-Policy needs no exception).
(function () {
  const page = document.body.dataset;
  const config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  if (page.apiCsrf && page.csrfToken) {
    config.requestInterceptor = (req) => {
      req.headers["X-CSRFToken"] = page.csrfToken;
      return req;
    };
  }
  window.ui = SwaggerUIBundle(config);
})();
