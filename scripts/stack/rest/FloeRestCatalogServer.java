// floe test stack: launches Apache Iceberg's REST catalog test fixture bound to one address.
//
// Iceberg's own entry point (org.apache.iceberg.rest.RESTCatalogServer#main) listens on every
// interface. The test stack must listen on 127.0.0.1 only, so this launcher wires the same
// pieces (catalog from CATALOG_* environment variables -> RESTServerCatalogAdapter ->
// RESTCatalogServlet -> Jetty) with a connector bound to FLOE_REST_HOST (default 127.0.0.1).
// It lives in Iceberg's package because the adapter and the env translation are package-private.
// Compiled by scripts/stack/setup.sh into the cache; never shipped.
package org.apache.iceberg.rest;

import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

public final class FloeRestCatalogServer {
  private FloeRestCatalogServer() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> props = new HashMap<>(RCKUtils.environmentCatalogConfig());
    props.putIfAbsent(CatalogProperties.CATALOG_IMPL, "org.apache.iceberg.jdbc.JdbcCatalog");
    props.putIfAbsent(CatalogProperties.URI, "jdbc:sqlite::memory:");
    // V1 schema of the JDBC catalog tables also stores views.
    props.putIfAbsent("jdbc.schema-version", "V1");
    if (props.get(CatalogProperties.URI).startsWith("jdbc:sqlite:")) {
      // SQLite allows one writer: one pooled connection, and wait for locks instead of failing
      // with SQLITE_BUSY when requests overlap. WAL lets readers run beside the writer.
      props.putIfAbsent(CatalogProperties.CLIENT_POOL_SIZE, "1");
      props.putIfAbsent("jdbc.busy_timeout", "30000");
      props.putIfAbsent("jdbc.journal_mode", "WAL");
    }
    if (!props.containsKey(CatalogProperties.WAREHOUSE_LOCATION)) {
      throw new IllegalArgumentException("CATALOG_WAREHOUSE is not set");
    }
    String host = System.getenv().getOrDefault("FLOE_REST_HOST", "127.0.0.1");
    int port = Integer.parseInt(props.getOrDefault(RESTCatalogServer.REST_PORT, "8181"));
    String name = props.getOrDefault(RESTCatalogServer.CATALOG_NAME, "rest_backend");

    // No Hadoop configuration: the catalog uses S3FileIO (CATALOG_IO__IMPL) or ResolvingFileIO.
    Catalog catalog = CatalogUtil.buildIcebergCatalog(name, props, null);
    RESTCatalogAdapter adapter =
        new RESTServerCatalogAdapter(new RESTCatalogServer.CatalogContext(catalog, props));

    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(new ServletHolder(new RESTCatalogServlet(adapter)), "/*");
    context.insertHandler(new GzipHandler());

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(context);
    server.setStopAtShutdown(true);
    server.start();
    System.out.println("floe-rest-catalog listening on http://" + host + ":" + port);
    server.join();
  }
}
