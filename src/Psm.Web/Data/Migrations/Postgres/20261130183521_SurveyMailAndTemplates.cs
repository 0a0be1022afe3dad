using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SurveyMailAndTemplates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_SurveyInvitations_SurveyId",
                table: "SurveyInvitations");

            migrationBuilder.AddColumn<bool>(
                name: "CsatByEmail",
                table: "Teams",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "CsatDelayMinutes",
                table: "Teams",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Wave",
                table: "SurveyInvitations",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SurveyInvitationId",
                table: "MailMessages",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UnsubscribeUrl",
                table: "MailMessages",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "SurveyConsent",
                table: "Customers",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "SurveysOptedOutAt",
                table: "CustomerContacts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "MailTemplates",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Subject = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    Body = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MailTemplates", x => x.Kind);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SurveyInvitations_SurveyId_Wave_ContactId",
                table: "SurveyInvitations",
                columns: new[] { "SurveyId", "Wave", "ContactId" },
                unique: true,
                filter: "\"Wave\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_MailMessages_SurveyInvitationId",
                table: "MailMessages",
                column: "SurveyInvitationId");

            migrationBuilder.AddForeignKey(
                name: "FK_MailMessages_SurveyInvitations_SurveyInvitationId",
                table: "MailMessages",
                column: "SurveyInvitationId",
                principalTable: "SurveyInvitations",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_MailMessages_SurveyInvitations_SurveyInvitationId",
                table: "MailMessages");

            migrationBuilder.DropTable(
                name: "MailTemplates");

            migrationBuilder.DropIndex(
                name: "IX_SurveyInvitations_SurveyId_Wave_ContactId",
                table: "SurveyInvitations");

            migrationBuilder.DropIndex(
                name: "IX_MailMessages_SurveyInvitationId",
                table: "MailMessages");

            migrationBuilder.DropColumn(
                name: "CsatByEmail",
                table: "Teams");

            migrationBuilder.DropColumn(
                name: "CsatDelayMinutes",
                table: "Teams");

            migrationBuilder.DropColumn(
                name: "Wave",
                table: "SurveyInvitations");

            migrationBuilder.DropColumn(
                name: "SurveyInvitationId",
                table: "MailMessages");

            migrationBuilder.DropColumn(
                name: "UnsubscribeUrl",
                table: "MailMessages");

            migrationBuilder.DropColumn(
                name: "SurveyConsent",
                table: "Customers");

            migrationBuilder.DropColumn(
                name: "SurveysOptedOutAt",
                table: "CustomerContacts");

            migrationBuilder.CreateIndex(
                name: "IX_SurveyInvitations_SurveyId",
                table: "SurveyInvitations",
                column: "SurveyId");
        }
    }
}
