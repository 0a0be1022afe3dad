using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Rollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AnswerDayRollups",
                columns: table => new
                {
                    SurveyId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    Score = table.Column<int>(type: "integer", nullable: false),
                    Answers = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnswerDayRollups", x => new { x.SurveyId, x.Day, x.Score });
                    table.ForeignKey(
                        name: "FK_AnswerDayRollups_Surveys_SurveyId",
                        column: x => x.SurveyId,
                        principalTable: "Surveys",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RollupMarks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RollupMarks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RollupStates",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RollupStates", x => x.Kind);
                });

            migrationBuilder.CreateTable(
                name: "TicketDayRollups",
                columns: table => new
                {
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    Cut = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    Value = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Opened = table.Column<long>(type: "bigint", nullable: false),
                    UnderSla = table.Column<long>(type: "bigint", nullable: false),
                    SlaMet = table.Column<long>(type: "bigint", nullable: false),
                    Escalated = table.Column<long>(type: "bigint", nullable: false),
                    Resolved = table.Column<long>(type: "bigint", nullable: false),
                    Reopened = table.Column<long>(type: "bigint", nullable: false),
                    FirstResponse = table.Column<byte[]>(type: "bytea", nullable: true),
                    Resolution = table.Column<byte[]>(type: "bytea", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TicketDayRollups", x => new { x.Cut, x.Value, x.Day });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Tickets_FirstResponseAt",
                table: "Tickets",
                column: "FirstResponseAt");

            migrationBuilder.CreateIndex(
                name: "IX_Tickets_ResolvedAt",
                table: "Tickets",
                column: "ResolvedAt");

            migrationBuilder.CreateIndex(
                name: "IX_AnswerDayRollups_Day",
                table: "AnswerDayRollups",
                column: "Day");

            migrationBuilder.CreateIndex(
                name: "IX_RollupMarks_Kind_Day",
                table: "RollupMarks",
                columns: new[] { "Kind", "Day" });

            migrationBuilder.CreateIndex(
                name: "IX_TicketDayRollups_Day",
                table: "TicketDayRollups",
                column: "Day");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AnswerDayRollups");

            migrationBuilder.DropTable(
                name: "RollupMarks");

            migrationBuilder.DropTable(
                name: "RollupStates");

            migrationBuilder.DropTable(
                name: "TicketDayRollups");

            migrationBuilder.DropIndex(
                name: "IX_Tickets_FirstResponseAt",
                table: "Tickets");

            migrationBuilder.DropIndex(
                name: "IX_Tickets_ResolvedAt",
                table: "Tickets");
        }
    }
}
