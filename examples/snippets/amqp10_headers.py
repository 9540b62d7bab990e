from proton import Data

def amqp10_application_properties(properties):
    """The AMQP 1.0 application properties RabbitMQ 3.x keeps in one 0-9-1 header."""
    blob = (properties.headers or {}).get("x-amqp-1.0-app-properties")
    if blob is None:
        return {}
    data = Data()
    data.decode(blob)
    data.rewind()
    data.next()
    return dict(data.get_object().value)  # {'event-type': 'repo.sync.finish', ...}
