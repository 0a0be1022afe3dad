using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Global search (Features/Search/GlobalSearch.cs) matches to_tsvector('simple', ...) on these columns; the
            // expressions must stay identical to the queries' for PostgreSQL to use the indexes.
            migrationBuilder.Sql("CREATE INDEX \"IX_Customers_Name_Search\" ON \"Customers\" USING GIN (to_tsvector('simple', \"Name\"));");
            migrationBuilder.Sql("CREATE INDEX \"IX_Tickets_Subject_Search\" ON \"Tickets\" USING GIN (to_tsvector('simple', \"Subject\"));");
            migrationBuilder.Sql("CREATE INDEX \"IX_Feedback_Text_Search\" ON \"Feedback\" USING GIN (to_tsvector('simple', \"Text\"));");
            migrationBuilder.Sql("CREATE INDEX \"IX_Initiatives_Name_Search\" ON \"Initiatives\" USING GIN (to_tsvector('simple', \"Name\"));");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_Customers_Name_Search\";");
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_Tickets_Subject_Search\";");
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_Feedback_Text_Search\";");
            migrationBuilder.Sql("DROP INDEX IF EXISTS \"IX_Initiatives_Name_Search\";");
        }
    }
}
