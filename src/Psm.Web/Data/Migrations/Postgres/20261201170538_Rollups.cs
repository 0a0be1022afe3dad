using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
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

            // ADR-015: every change to a ticket or an answer, however it is made (EF, set-based SQL, cascades, COPY),
            // marks in its own transaction the days whose rollups it changes. Tickets change one at a time: a row trigger,
            // skipped in C by its WHEN unless a field the rollups read changed. Answers arrive in bulk (COPY): a statement
            // trigger writes the distinct days of all the rows a statement touched.
            migrationBuilder.Sql("""
CREATE FUNCTION "RollupMarkTickets"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "RollupMarks" ("Kind", "Day")
        SELECT DISTINCT 'tickets', (v.at AT TIME ZONE 'UTC')::date
        FROM (VALUES (NEW."CreatedAt"), (NEW."FirstResponseAt"), (NEW."ResolvedAt")) AS v(at) WHERE v.at IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "RollupMarks" ("Kind", "Day")
        SELECT DISTINCT 'tickets', (v.at AT TIME ZONE 'UTC')::date
        FROM (VALUES (OLD."CreatedAt"), (OLD."FirstResponseAt"), (OLD."ResolvedAt")) AS v(at) WHERE v.at IS NOT NULL;
    ELSE
        INSERT INTO "RollupMarks" ("Kind", "Day")
        SELECT DISTINCT 'tickets', (v.at AT TIME ZONE 'UTC')::date
        FROM (VALUES (OLD."CreatedAt"), (OLD."FirstResponseAt"), (OLD."ResolvedAt"), (NEW."CreatedAt"), (NEW."FirstResponseAt"), (NEW."ResolvedAt")) AS v(at)
        WHERE v.at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER "RollupMarkTicketsInserted" AFTER INSERT ON "Tickets" FOR EACH ROW EXECUTE FUNCTION "RollupMarkTickets"();
CREATE TRIGGER "RollupMarkTicketsUpdated" AFTER UPDATE ON "Tickets" FOR EACH ROW
    WHEN ((OLD."CreatedAt", OLD."FirstResponseAt", OLD."ResolvedAt", OLD."ProductId", OLD."ServiceId", OLD."TeamId", OLD."AssigneeId", OLD."Channel", OLD."Priority", OLD."SlaPolicyId", OLD."FirstResponseBreachedAt", OLD."ResolutionBreachedAt", OLD."EscalationLevel", OLD."Reopened", OLD."FirstResponseMinutes", OLD."ResolutionMinutes") IS DISTINCT FROM (NEW."CreatedAt", NEW."FirstResponseAt", NEW."ResolvedAt", NEW."ProductId", NEW."ServiceId", NEW."TeamId", NEW."AssigneeId", NEW."Channel", NEW."Priority", NEW."SlaPolicyId", NEW."FirstResponseBreachedAt", NEW."ResolutionBreachedAt", NEW."EscalationLevel", NEW."Reopened", NEW."FirstResponseMinutes", NEW."ResolutionMinutes"))
    EXECUTE FUNCTION "RollupMarkTickets"();
CREATE TRIGGER "RollupMarkTicketsDeleted" AFTER DELETE ON "Tickets" FOR EACH ROW EXECUTE FUNCTION "RollupMarkTickets"();

CREATE FUNCTION "RollupMarkAnswers"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "RollupMarks" ("Kind", "Day") SELECT DISTINCT 'answers', n."RespondedOn" FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "RollupMarks" ("Kind", "Day") SELECT DISTINCT 'answers', o."RespondedOn" FROM old_rows o;
    ELSE
        INSERT INTO "RollupMarks" ("Kind", "Day")
        SELECT DISTINCT 'answers', v.day
        FROM old_rows o JOIN new_rows n ON n."Id" = o."Id" CROSS JOIN LATERAL (VALUES (o."RespondedOn"), (n."RespondedOn")) AS v(day)
        WHERE (o."Score", o."RespondedOn", o."SurveyId") IS DISTINCT FROM (n."Score", n."RespondedOn", n."SurveyId");
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER "RollupMarkAnswersInserted" AFTER INSERT ON "SurveyResponses" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "RollupMarkAnswers"();
CREATE TRIGGER "RollupMarkAnswersUpdated" AFTER UPDATE ON "SurveyResponses" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "RollupMarkAnswers"();
CREATE TRIGGER "RollupMarkAnswersDeleted" AFTER DELETE ON "SurveyResponses" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "RollupMarkAnswers"();
""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
DROP TRIGGER IF EXISTS "RollupMarkTicketsInserted" ON "Tickets";
DROP TRIGGER IF EXISTS "RollupMarkTicketsUpdated" ON "Tickets";
DROP TRIGGER IF EXISTS "RollupMarkTicketsDeleted" ON "Tickets";
DROP TRIGGER IF EXISTS "RollupMarkAnswersInserted" ON "SurveyResponses";
DROP TRIGGER IF EXISTS "RollupMarkAnswersUpdated" ON "SurveyResponses";
DROP TRIGGER IF EXISTS "RollupMarkAnswersDeleted" ON "SurveyResponses";
DROP FUNCTION IF EXISTS "RollupMarkTickets"();
DROP FUNCTION IF EXISTS "RollupMarkAnswers"();
""");

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
