using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "CsatDelayMinutes",
                table: "Teams",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Wave",
                table: "SurveyInvitations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SurveyInvitationId",
                table: "MailMessages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UnsubscribeUrl",
                table: "MailMessages",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "SurveyConsent",
                table: "Customers",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "SurveysOptedOutAt",
                table: "CustomerContacts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "MailTemplates",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Body = table.Column<string>(type: "TEXT", maxLength: 20000, nullable: false),
                    UpdatedAt = table.Column<string>(type: "TEXT", nullable: false),
                    Version = table.Column<Guid>(type: "TEXT", nullable: false)
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
