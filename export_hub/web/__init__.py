"""The aiohttp web application: pages (Jinja2) and the JSON API."""
