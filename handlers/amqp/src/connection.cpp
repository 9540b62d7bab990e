// Building Proton connection options.
#include "connection.hpp"

#include <proton/reconnect_options.hpp>
#include <proton/ssl.hpp>

namespace notify::handlers::amqp {

proton::connection_options connection_options(const AmqpSettings& s, bool proton_reconnect) {
    proton::connection_options o;
    o.idle_timeout(proton::duration(s.idle_timeout.count()));
    if (!s.user.empty()) {
        o.user(s.user);
        o.password(s.password);
        o.sasl_enabled(true);
        // Only PLAIN: offered ANONYMOUS too (RabbitMQ does), Proton would pick it and log in
        // as the broker's default user, ignoring a wrong password.
        o.sasl_allowed_mechs("PLAIN");
        // Debian's Proton has no Cyrus SASL, so PLAIN counts as insecure without TLS. Settings
        // only get here with a loopback host or allow_insecure_auth (AmqpSettings checks).
        if (!s.tls) o.sasl_allow_insecure_mechs(true);
    }
    if (s.vhost != "/") o.virtual_host("vhost:" + s.vhost);  // RabbitMQ's form of the open frame's hostname
    if (s.tls) {
        if (!s.cert_file.empty()) {
            o.ssl_client_options(proton::ssl_client_options(proton::ssl_certificate(s.cert_file, s.key_file), s.ca_file,
                                                            proton::ssl::VERIFY_PEER_NAME));
        } else if (!s.ca_file.empty()) {
            o.ssl_client_options(proton::ssl_client_options(s.ca_file, proton::ssl::VERIFY_PEER_NAME));
        } else {
            o.ssl_client_options(proton::ssl_client_options());  // system trust store, names verified
        }
    }
    if (!proton_reconnect) return o;
    proton::reconnect_options reconnect;
    reconnect.delay(proton::duration(100));
    reconnect.delay_multiplier(2.0);
    reconnect.max_delay(proton::duration(10000));
    o.reconnect(reconnect);
    if (s.urls.size() > 1) o.failover_urls(std::vector<std::string>(s.urls.begin() + 1, s.urls.end()));
    return o;
}

}  // namespace notify::handlers::amqp
