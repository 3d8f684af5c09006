"""The agency's shared brand: its configuration, the per-marketplace renderer
and the pre-flight check run before anything is sent."""
