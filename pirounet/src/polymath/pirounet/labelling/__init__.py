"""The labelling web app (Plotly Dash) and the CSV store behind it."""
