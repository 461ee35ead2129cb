// GraphiQL for this server: queries over HTTP with the session cookie, subscriptions over
// graphql-transport-ws on the same path. Served from the package: no CDN, no inline script.
(function () {
  "use strict";
  var path = window.location.pathname;
  var socket = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  var fetcher = GraphiQL.createFetcher({ url: path, subscriptionUrl: socket });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    })
  );
})();
