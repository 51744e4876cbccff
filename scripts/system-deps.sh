#!/usr/bin/env bash
# Installs the Debian packages docintake needs, or says exactly what to run.
#   scripts/system-deps.sh run   -> OCR engine, Chinese language data, CJK fonts, Redis (distributed mode)
#   scripts/system-deps.sh test  -> the same plus Chromium for the browser tests
#   scripts/system-deps.sh bench -> the test packages plus Ghostscript for OCRmyPDF (bench/engines.py only)
set -euo pipefail
mode="${1:-run}"
pkgs=()
command -v tesseract >/dev/null 2>&1 || pkgs+=(tesseract-ocr)
tessdata_has() { tesseract --list-langs 2>/dev/null | grep -qx "$1"; }
tessdata_has chi_sim || pkgs+=(tesseract-ocr-chi-sim)
tessdata_has eng || pkgs+=(tesseract-ocr-eng)
tessdata_has osd || pkgs+=(tesseract-ocr-osd)
# The generator draws Song/Ming, Kai and Hei faces; the UI and the PDF notices/redemption lists need a CJK font.
fc-list :lang=zh family 2>/dev/null | grep -q "Noto Sans CJK" || pkgs+=(fonts-noto-cjk fonts-noto-cjk-extra)
fc-list :lang=zh family 2>/dev/null | grep -q "UKai" || pkgs+=(fonts-arphic-ukai fonts-arphic-uming)
fc-list :lang=zh family 2>/dev/null | grep -q "WenQuanYi Zen Hei" || pkgs+=(fonts-wqy-zenhei)
command -v fc-list >/dev/null 2>&1 || pkgs+=(fontconfig)
# Broker of the distributed mode (`--broker`, docs/scaling.md); the default in-process mode never starts it.
command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
if [ "$mode" = "test" ] || [ "$mode" = "bench" ]; then
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
fi
# bench/engines.py times OCRmyPDF (pip extra `bench`) against the engine; OCRmyPDF needs gs, never the product
if [ "$mode" = "bench" ]; then
  command -v gs >/dev/null 2>&1 || pkgs+=(ghostscript)
fi
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || pkgs+=(python3-venv)
[ ${#pkgs[@]} -eq 0 ] && exit 0
echo "docintake needs these Debian packages: ${pkgs[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  echo "installed: ${pkgs[*]}" >&2
else
  echo "Run this once as root, then try again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
