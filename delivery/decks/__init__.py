"""Manager decks (商机周报, 客户月报) built from the serving database."""
