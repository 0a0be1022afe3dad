using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AccountSecurity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "MustChangePassword",
                table: "Users",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        
            // Repairs values stored before input was bounded, which broke every later read of their pages:
            // enum text that names no member, and dates outside 1900-01-01..2199-12-31 (see InputRules).
            migrationBuilder.Sql("""UPDATE "Products" SET "Stage" = 'Introduction' WHERE "Stage" NOT IN ('Introduction', 'Growth', 'Maturity', 'Decline', 'Retired')""");
            migrationBuilder.Sql("""UPDATE "Services" SET "Stage" = 'Introduction' WHERE "Stage" NOT IN ('Introduction', 'Growth', 'Maturity', 'Decline', 'Retired')""");
            migrationBuilder.Sql("""UPDATE "Tickets" SET "Priority" = 'Normal' WHERE "Priority" NOT IN ('Low', 'Normal', 'High', 'Urgent')""");
            migrationBuilder.Sql("""UPDATE "Tickets" SET "Channel" = 'Email' WHERE "Channel" NOT IN ('Email', 'Chat', 'Phone', 'Portal', 'Api')""");
            migrationBuilder.Sql("""UPDATE "Initiatives" SET "PlannedStart" = NULL WHERE "PlannedStart" < '1900-01-01' OR "PlannedStart" > '2199-12-31'""");
            migrationBuilder.Sql("""UPDATE "Initiatives" SET "PlannedEnd" = NULL WHERE "PlannedEnd" < '1900-01-01' OR "PlannedEnd" > '2199-12-31'""");
            migrationBuilder.Sql("""UPDATE "Campaigns" SET "StartsOn" = "EndsOn" WHERE "StartsOn" < '1900-01-01' AND "EndsOn" BETWEEN '1900-01-01' AND '2199-12-31'""");
            migrationBuilder.Sql("""UPDATE "Campaigns" SET "EndsOn" = "StartsOn" WHERE "EndsOn" > '2199-12-31' AND "StartsOn" BETWEEN '1900-01-01' AND '2199-12-31'""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "MustChangePassword",
                table: "Users");
        }
    }
}
