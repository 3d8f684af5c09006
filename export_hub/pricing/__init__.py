"""Marketplace prices from KRW prices: exchange rates, fees, shipping bands,
margin floors and price endings."""
