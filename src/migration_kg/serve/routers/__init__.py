"""One router per concern; ``serve.app.create_app`` includes them."""
