"""One stock per product across every channel.

``models`` holds the append-only ledger (``stock_movements``); ``ledger`` the
only functions that move stock. Per product: on hand, reserved (ordered, not
shipped, Amazon's pending orders included) and available = on hand − reserved
− safety buffer, which every channel offers.
"""
