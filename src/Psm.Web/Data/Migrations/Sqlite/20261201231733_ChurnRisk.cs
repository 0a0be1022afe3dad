using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TrainedAt = table.Column<string>(type: "TEXT", nullable: false),
                    Cutoff = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    TrainRows = table.Column<int>(type: "INTEGER", nullable: false),
                    TrainPositives = table.Column<int>(type: "INTEGER", nullable: false),
                    TestRows = table.Column<int>(type: "INTEGER", nullable: false),
                    TestPositives = table.Column<int>(type: "INTEGER", nullable: false),
                    ModelAuc = table.Column<double>(type: "REAL", nullable: true),
                    ModelTopDecile = table.Column<double>(type: "REAL", nullable: true),
                    BaselineAuc = table.Column<double>(type: "REAL", nullable: true),
                    BaselineTopDecile = table.Column<double>(type: "REAL", nullable: true),
                    ModelInUse = table.Column<bool>(type: "INTEGER", nullable: false),
                    Scored = table.Column<int>(type: "INTEGER", nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Seconds = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChurnRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChurnScores",
                columns: table => new
                {
                    CustomerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    RunId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Score = table.Column<double>(type: "REAL", nullable: false),
                    Rank = table.Column<int>(type: "INTEGER", nullable: false),
                    TopDecile = table.Column<bool>(type: "INTEGER", nullable: false),
                    Signals = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    ScoredAt = table.Column<string>(type: "TEXT", nullable: false)
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
