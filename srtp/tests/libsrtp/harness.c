/*
 * A line protocol over libsrtp 2, for the differential test in
 * ../libsrtp.rs. One command per line on stdin, one answer per line on
 * stdout:
 *
 *   new ID PROFILE in|out WINDOW ENCRYPT_RTCP KEY_AND_SALT_HEX
 *   rtp+ ID HEX    protect RTP          rtp- ID HEX    unprotect RTP
 *   rtcp+ ID HEX   protect RTCP         rtcp- ID HEX   unprotect RTCP
 *
 * Answers: "ok [HEX]" or "err STATUS" (libsrtp's srtp_err_status_t).
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 64
#define MAX_PACKET 8192

static srtp_t sessions[MAX_SESSIONS];
static char line[4 * MAX_PACKET];
static unsigned char packet[MAX_PACKET + SRTP_MAX_TRAILER_LEN];
static unsigned char key[64];

static int unhex(const char *text, unsigned char *out, int max)
{
    int n = 0;
    while (text[0] && text[1] && text[0] != '\n') {
        unsigned int byte;
        if (n >= max || sscanf(text, "%2x", &byte) != 1)
            return -1;
        out[n++] = (unsigned char)byte;
        text += 2;
    }
    return n;
}

static void answer_packet(const unsigned char *bytes, int len)
{
    fputs("ok ", stdout);
    for (int i = 0; i < len; i++)
        printf("%02x", bytes[i]);
    putchar('\n');
}

static int set_profile(srtp_policy_t *policy, int profile)
{
    switch (profile) {
    case 1:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        return 0;
    case 2:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        return 0;
    case 7:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
        return 0;
    case 8:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
        return 0;
    default:
        return -1;
    }
}

int main(void)
{
    if (srtp_init() != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init failed\n");
        return 1;
    }
    while (fgets(line, sizeof line, stdin)) {
        char command[16], direction[8];
        int id, profile, encrypt_rtcp, offset = 0;
        unsigned long window;
        if (sscanf(line, "%15s %d %n", command, &id, &offset) < 2 || id < 0 ||
            id >= MAX_SESSIONS) {
            puts("err -1");
        } else if (strcmp(command, "new") == 0) {
            srtp_policy_t policy;
            int key_len;
            memset(&policy, 0, sizeof policy);
            if (sscanf(line + offset, "%d %7s %lu %d %n", &profile, direction, &window,
                       &encrypt_rtcp, &offset) < 4 ||
                set_profile(&policy, profile) != 0) {
                puts("err -1");
            } else {
                char *hex = strrchr(line, ' ') + 1;
                key_len = unhex(hex, key, sizeof key);
                if (!encrypt_rtcp)
                    policy.rtcp.sec_serv = sec_serv_auth;
                policy.ssrc.type =
                    strcmp(direction, "in") == 0 ? ssrc_any_inbound : ssrc_any_outbound;
                policy.key = key;
                policy.window_size = window;
                policy.allow_repeat_tx = 1;
                if (sessions[id])
                    srtp_dealloc(sessions[id]);
                srtp_err_status_t status =
                    key_len > 0 ? srtp_create(&sessions[id], &policy) : srtp_err_status_bad_param;
                if (status != srtp_err_status_ok)
                    printf("err %d\n", (int)status);
                else
                    puts("ok");
            }
        } else if (!sessions[id]) {
            puts("err -1");
        } else {
            int len = unhex(line + offset, packet, MAX_PACKET);
            srtp_err_status_t status;
            if (len < 0) {
                puts("err -1");
                fflush(stdout);
                continue;
            }
            if (strcmp(command, "rtp+") == 0)
                status = srtp_protect(sessions[id], packet, &len);
            else if (strcmp(command, "rtp-") == 0)
                status = srtp_unprotect(sessions[id], packet, &len);
            else if (strcmp(command, "rtcp+") == 0)
                status = srtp_protect_rtcp(sessions[id], packet, &len);
            else if (strcmp(command, "rtcp-") == 0)
                status = srtp_unprotect_rtcp(sessions[id], packet, &len);
            else
                status = srtp_err_status_bad_param;
            if (status == srtp_err_status_ok)
                answer_packet(packet, len);
            else
                printf("err %d\n", (int)status);
        }
        fflush(stdout);
    }
    return 0;
}
