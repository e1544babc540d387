"""NATS JetStream plumbing shared by every service: streams, outbox relay, consumer runner."""
