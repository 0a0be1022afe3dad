using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
{
    /// <summary>
    /// SQLite's full-text search for global search (Features/Search/GlobalSearch.cs, ADR-018): FTS5 indexes over customers'
    /// names and tickets' subjects, kept by triggers, keyed by the tables' rowid (external content: the text is not stored
    /// twice). A later migration that rebuilds either table on SQLite drops these triggers and renumbers rowids: it must
    /// create them again and rebuild the index (SearchApiTests checks that they exist and agree with the tables).
    /// </summary>
    public partial class SearchFts : Migration
    {
        // Table, its text column, and the index's name (GlobalSearch queries these names).
        private static readonly (string Table, string Column, string Index)[] Indexes =
        [
            ("Customers", "Name", "CustomersSearch"),
            ("Tickets", "Subject", "TicketsSearch"),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, column, index) in Indexes)
            {
                migrationBuilder.Sql($"CREATE VIRTUAL TABLE \"{index}\" USING fts5(\"{column}\", content='{table}', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');");
                migrationBuilder.Sql($"CREATE TRIGGER \"{index}_Insert\" AFTER INSERT ON \"{table}\" BEGIN INSERT INTO \"{index}\"(rowid, \"{column}\") VALUES (new.rowid, new.\"{column}\"); END;");
                migrationBuilder.Sql($"CREATE TRIGGER \"{index}_Delete\" AFTER DELETE ON \"{table}\" BEGIN INSERT INTO \"{index}\"(\"{index}\", rowid, \"{column}\") VALUES ('delete', old.rowid, old.\"{column}\"); END;");
                migrationBuilder.Sql($"CREATE TRIGGER \"{index}_Update\" AFTER UPDATE OF \"{column}\" ON \"{table}\" BEGIN " +
                    $"INSERT INTO \"{index}\"(\"{index}\", rowid, \"{column}\") VALUES ('delete', old.rowid, old.\"{column}\"); " +
                    $"INSERT INTO \"{index}\"(rowid, \"{column}\") VALUES (new.rowid, new.\"{column}\"); END;");
                // Rows written before this migration.
                migrationBuilder.Sql($"INSERT INTO \"{index}\"(\"{index}\") VALUES ('rebuild');");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (_, _, index) in Indexes)
            {
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS \"{index}_Insert\";");
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS \"{index}_Delete\";");
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS \"{index}_Update\";");
                migrationBuilder.Sql($"DROP TABLE IF EXISTS \"{index}\";");
            }
        }
    }
}
