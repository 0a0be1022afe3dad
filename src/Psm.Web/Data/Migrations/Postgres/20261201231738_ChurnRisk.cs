using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ChurnRisk : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ChurnRuns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TrainedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Cutoff = table.Column<DateOnly>(type: "date", nullable: false),
                    TrainRows = table.Column<int>(type: "integer", nullable: false),
                    TrainPositives = table.Column<int>(type: "integer", nullable: false),
                    TestRows = table.Column<int>(type: "integer", nullable: false),
                    TestPositives = table.Column<int>(type: "integer", nullable: false),
                    ModelAuc = table.Column<double>(type: "double precision", nullable: true),
                    ModelTopDecile = table.Column<double>(type: "double precision", nullable: true),
                    BaselineAuc = table.Column<double>(type: "double precision", nullable: true),
                    BaselineTopDecile = table.Column<double>(type: "double precision", nullable: true),
                    ModelInUse = table.Column<bool>(type: "boolean", nullable: false),
                    Scored = table.Column<int>(type: "integer", nullable: false),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Seconds = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChurnRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChurnScores",
                columns: table => new
                {
                    CustomerId = table.Column<Guid>(type: "uuid", nullable: false),
                    RunId = table.Column<Guid>(type: "uuid", nullable: false),
                    Score = table.Column<double>(type: "double precision", nullable: false),
                    Rank = table.Column<int>(type: "integer", nullable: false),
                    TopDecile = table.Column<bool>(type: "boolean", nullable: false),
                    Signals = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    ScoredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChurnScores", x => x.CustomerId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ChurnRuns_TrainedAt",
                table: "ChurnRuns",
                column: "TrainedAt");

            migrationBuilder.CreateIndex(
                name: "IX_ChurnScores_Rank",
                table: "ChurnScores",
                column: "Rank");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ChurnRuns");

            migrationBuilder.DropTable(
                name: "ChurnScores");
        }
    }
}
