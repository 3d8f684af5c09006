"""Amazon SP-API: the transport, the listings connector, onboarding, the emulator."""
