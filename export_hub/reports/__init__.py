"""The programme's figures: export results from orders, dashboards per role,
consultations linked to what followed, and the charts that show them."""
