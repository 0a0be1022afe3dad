using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
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
                    SurveyId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Score = table.Column<int>(type: "INTEGER", nullable: false),
                    Answers = table.Column<long>(type: "INTEGER", nullable: false)
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
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RollupMarks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RollupStates",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    StartedAt = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RollupStates", x => x.Kind);
                });

            migrationBuilder.CreateTable(
                name: "TicketDayRollups",
                columns: table => new
                {
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Cut = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Opened = table.Column<long>(type: "INTEGER", nullable: false),
                    UnderSla = table.Column<long>(type: "INTEGER", nullable: false),
                    SlaMet = table.Column<long>(type: "INTEGER", nullable: false),
                    Escalated = table.Column<long>(type: "INTEGER", nullable: false),
                    Resolved = table.Column<long>(type: "INTEGER", nullable: false),
                    Reopened = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstResponse = table.Column<byte[]>(type: "BLOB", nullable: true),
                    Resolution = table.Column<byte[]>(type: "BLOB", nullable: true)
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

            // ADR-015: every change to a ticket or an answer, however it is made, marks in its own transaction the days
            // whose rollups it changes. SQLite runs one writer at a time (the rollup job included), so a day already
            // marked is not marked again.
            migrationBuilder.Sql("""
CREATE TRIGGER "RollupMarkTicketsInserted" AFTER INSERT ON "Tickets" BEGIN
    INSERT INTO "RollupMarks" ("Kind", "Day")
    SELECT 'tickets', d FROM (SELECT substr(NEW."CreatedAt", 1, 10) AS d UNION SELECT substr(NEW."FirstResponseAt", 1, 10) UNION SELECT substr(NEW."ResolvedAt", 1, 10))
    WHERE d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RollupMarks" m WHERE m."Kind" = 'tickets' AND m."Day" = d);
END;
""");
            migrationBuilder.Sql("""
CREATE TRIGGER "RollupMarkTicketsUpdated" AFTER UPDATE ON "Tickets"
WHEN OLD."CreatedAt" IS NOT NEW."CreatedAt" OR OLD."FirstResponseAt" IS NOT NEW."FirstResponseAt" OR OLD."ResolvedAt" IS NOT NEW."ResolvedAt" OR OLD."ProductId" IS NOT NEW."ProductId" OR OLD."ServiceId" IS NOT NEW."ServiceId" OR OLD."TeamId" IS NOT NEW."TeamId" OR OLD."AssigneeId" IS NOT NEW."AssigneeId" OR OLD."Channel" IS NOT NEW."Channel" OR OLD."Priority" IS NOT NEW."Priority" OR OLD."SlaPolicyId" IS NOT NEW."SlaPolicyId" OR OLD."FirstResponseBreachedAt" IS NOT NEW."FirstResponseBreachedAt" OR OLD."ResolutionBreachedAt" IS NOT NEW."ResolutionBreachedAt" OR OLD."EscalationLevel" IS NOT NEW."EscalationLevel" OR OLD."Reopened" IS NOT NEW."Reopened" OR OLD."FirstResponseMinutes" IS NOT NEW."FirstResponseMinutes" OR OLD."ResolutionMinutes" IS NOT NEW."ResolutionMinutes" BEGIN
    INSERT INTO "RollupMarks" ("Kind", "Day")
    SELECT 'tickets', d FROM (SELECT substr(OLD."CreatedAt", 1, 10) AS d UNION SELECT substr(OLD."FirstResponseAt", 1, 10) UNION SELECT substr(OLD."ResolvedAt", 1, 10) UNION SELECT substr(NEW."CreatedAt", 1, 10) UNION SELECT substr(NEW."FirstResponseAt", 1, 10) UNION SELECT substr(NEW."ResolvedAt", 1, 10))
    WHERE d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RollupMarks" m WHERE m."Kind" = 'tickets' AND m."Day" = d);
END;
""");
            migrationBuilder.Sql("""
CREATE TRIGGER "RollupMarkTicketsDeleted" AFTER DELETE ON "Tickets" BEGIN
    INSERT INTO "RollupMarks" ("Kind", "Day")
    SELECT 'tickets', d FROM (SELECT substr(OLD."CreatedAt", 1, 10) AS d UNION SELECT substr(OLD."FirstResponseAt", 1, 10) UNION SELECT substr(OLD."ResolvedAt", 1, 10))
    WHERE d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RollupMarks" m WHERE m."Kind" = 'tickets' AND m."Day" = d);
END;
""");
            migrationBuilder.Sql("""
CREATE TRIGGER "RollupMarkAnswersInserted" AFTER INSERT ON "SurveyResponses" BEGIN
    INSERT INTO "RollupMarks" ("Kind", "Day")
    SELECT 'answers', d FROM (SELECT NEW."RespondedOn" AS d)
    WHERE d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RollupMarks" m WHERE m."Kind" = 'answers' AND m."Day" = d);
END;
""");
            migrationBuilder.Sql("""
CREATE TRIGGER "RollupMarkAnswersUpdated" AFTER UPDATE ON "SurveyResponses"
WHEN OLD."Score" IS NOT NEW."Score" OR OLD."RespondedOn" IS NOT NEW."RespondedOn" OR OLD."SurveyId" IS NOT NEW."SurveyId" BEGIN
    INSERT INTO "RollupMarks" ("Kind", "Day")
    SELECT 'answers', d FROM (SELECT OLD."RespondedOn" AS d UNION SELECT NEW."RespondedOn")
    WHERE d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RollupMarks" m WHERE m."Kind" = 'answers' AND m."Day" = d);
END;
""");
            migrationBuilder.Sql("""
CREATE TRIGGER "RollupMarkAnswersDeleted" AFTER DELETE ON "SurveyResponses" BEGIN
    INSERT INTO "RollupMarks" ("Kind", "Day")
    SELECT 'answers', d FROM (SELECT OLD."RespondedOn" AS d)
    WHERE d IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RollupMarks" m WHERE m."Kind" = 'answers' AND m."Day" = d);
END;
""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"RollupMarkTicketsInserted\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"RollupMarkTicketsUpdated\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"RollupMarkTicketsDeleted\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"RollupMarkAnswersInserted\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"RollupMarkAnswersUpdated\";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS \"RollupMarkAnswersDeleted\";");

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
