using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SlaCreditAndComputedFigures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "CreditedPauseMinutes",
                table: "Tickets",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            // Wave 1 credited every pause; ADR-007 credits the pauses that began before the due time. Stored
            // tickets keep what they were credited (their due times do not move under anyone's feet).
            migrationBuilder.Sql("UPDATE \"Tickets\" SET \"CreditedPauseMinutes\" = \"PausedMinutes\";");
            // Lifetime value and churn are recomputed from orders and subscriptions at every start-up
            // (DatabaseInitializer): they depend on the configured reporting currency and on today.
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CreditedPauseMinutes",
                table: "Tickets");
        }
    }
}
