"""The service's database: issued cards, feedback and the shared JWT jti cache (SQLAlchemy Core + Alembic).

`store.Store` is what the app holds; `engine` opens and checks databases; `records` writes cards and feedback;
`replay` is the shared ReplayStore; `report` builds the committee's figures; `cli` is the `ln-cds` command;
`endpoints` serves the report over HTTP. See docs/database.md.
"""
