using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ServiceMetrics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "FirstResponseMinutes",
                table: "Tickets",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "PausedMinutes",
                table: "Tickets",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "ResolutionMinutes",
                table: "Tickets",
                type: "REAL",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FirstResponseMinutes",
                table: "Tickets");

            migrationBuilder.DropColumn(
                name: "PausedMinutes",
                table: "Tickets");

            migrationBuilder.DropColumn(
                name: "ResolutionMinutes",
                table: "Tickets");
        }
    }
}
