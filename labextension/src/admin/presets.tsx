import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';

import { ChatApiClient, Preset, PresetCreate } from '../api/client';
import { errorMessage } from '../errors';
import {
  NUMBER_NAMES,
  NUMBER_PARAMS,
  paramLabel,
  Params,
  paramsFrom,
  paramsText
} from '../params';
import {
  ConfirmButton,
  ErrorNote,
  Field,
  formKey,
  FormButtons,
  ListSection,
  Table,
  TextField,
  useFormKeyboard,
  useFormTarget,
  useLoad,
  useUnsaved
} from './screen';
import { errorsOf, IFormErrors, NO_ERRORS } from './validation';

/**
 * Presets: a model id wrapping a base model with a system prompt and parameters.
 * Admins see and make public ones too; everyone else sees only their own private ones.
 */
export function PresetsTab({
  client,
  trans,
  isAdmin,
  active = true,
  onChanged
}: {
  client: ChatApiClient;
  trans: TranslationBundle;
  isAdmin: boolean;
  /** Whether its tab is the one shown; shown again, it reads its lists again. */
  active?: boolean;
  /** A preset was added, changed or removed. */
  onChanged: () => void;
}): JSX.Element {
  const presets = useLoad(() => client.listPresets(), trans);
  const models = useLoad(() => client.listModelsAndErrors(), trans);
  const form = useFormTarget<Preset>(trans);
  const editing = form.target;
  // Back from the connections tab, the base models are those the connections now offer.
  const wasActive = useRef(active);
  useEffect(() => {
    if (active && !wasActive.current) {
      presets.reload();
      models.reload();
    }
    wasActive.current = active;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active]);
  const [actionError, setActionError] = useState<string | null>(null);

  const shown = (presets.value ?? []).filter(
    preset => isAdmin || (preset.mine && preset.visibility === 'private')
  );
  // Neither a preset nor an embedding model, which answers no chat.
  const baseModels = (models.value?.items ?? [])
    .filter(model => !model.preset && !model.embedding)
    .map(model => ({
      id: model.id,
      label: model.connection_name
        ? `${model.name} — ${model.connection_name}`
        : model.name
    }));

  return (
    <ListSection
      id="jp-ChatExt-pre-h"
      title={isAdmin ? trans.__('Presets') : trans.__('My presets')}
      intro={trans.__(
        'A preset is a model of its own: a base model with a system prompt and parameters, picked like any other model.'
      )}
      addLabel={trans.__('New preset')}
      addClass="jp-ChatExt-addPreset"
      onAdd={() => void form.open('new')}
      adding={editing === 'new'}
    >
      {editing !== null && (
        <PresetForm
          key={formKey(editing)}
          preset={editing === 'new' ? null : editing}
          baseModels={baseModels}
          modelsLoading={models.value === undefined && !models.error}
          modelsError={models.error}
          isAdmin={isAdmin}
          trans={trans}
          onCancel={form.close}
          setUnsaved={form.setUnsaved}
          onSave={async body => {
            if (editing === 'new') {
              await client.createPreset(body);
            } else {
              const { id: _, ...change } = body;
              await client.updatePreset(editing.id, change);
            }
            form.close();
            presets.reload();
            models.reload();
            onChanged();
          }}
        />
      )}
      <ErrorNote error={presets.error ?? actionError} />
      {presets.value === undefined && !presets.error && (
        <p className="jp-ChatExt-status">{trans.__('Loading…')}</p>
      )}
      {presets.value && shown.length === 0 && (
        <p className="jp-ChatExt-empty">{trans.__('No presets yet.')}</p>
      )}
      {shown.length > 0 && (
        <Table
          className="jp-ChatExt-presets"
          columns={[
            trans.__('Name'),
            trans.__('Model id'),
            trans.__('Base model'),
            trans.__('Visibility'),
            trans.__('Description')
          ]}
          trans={trans}
        >
          {shown.map(preset => (
            <tr key={preset.id} data-preset-id={preset.id}>
              <td className="jp-ChatExt-preset-name">{preset.name}</td>
              <td className="jp-ChatExt-mono">{preset.id}</td>
              <td className="jp-ChatExt-mono">{preset.base_model}</td>
              <td>
                {preset.visibility === 'public'
                  ? trans.__('Everyone')
                  : trans.__('Only me')}
              </td>
              <td className="jp-ChatExt-preset-description">
                {preset.description}
              </td>
              <td className="jp-ChatExt-rowActions">
                <Button
                  small
                  minimal
                  className="jp-ChatExt-edit"
                  onClick={() => void form.open(preset)}
                >
                  {trans.__('Edit')}
                </Button>
                <ConfirmButton
                  label={trans.__('Delete')}
                  className="jp-ChatExt-remove"
                  title={trans.__('Delete Preset')}
                  question={trans.__('Delete the preset “%1”?', preset.name)}
                  action={async () => {
                    // Read again even when refused: it may be gone already.
                    try {
                      await client.deletePreset(preset.id);
                    } finally {
                      presets.reload();
                      onChanged();
                    }
                  }}
                  onError={setActionError}
                  trans={trans}
                />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </ListSection>
  );
}

function PresetForm({
  preset,
  baseModels,
  modelsLoading,
  modelsError,
  isAdmin,
  trans,
  onSave,
  onCancel,
  setUnsaved
}: {
  preset: Preset | null;
  baseModels: { id: string; label: string }[];
  /** Whether the list of models is still to come. */
  modelsLoading: boolean;
  /** Why the list of models could not be read, if it could not. */
  modelsError: string | null;
  isAdmin: boolean;
  trans: TranslationBundle;
  onSave: (body: PresetCreate) => Promise<void>;
  onCancel: () => void;
  setUnsaved: (unsaved: boolean) => void;
}): JSX.Element {
  const stored = (preset?.params ?? {}) as Record<string, unknown>;
  const [name, setName] = useState(preset?.name ?? '');
  const [id, setId] = useState(preset?.id ?? '');
  const [idTouched, setIdTouched] = useState(preset !== null);
  const [chosenBase, setBaseModel] = useState(preset?.base_model ?? '');
  // The list may arrive after the form opened: until a choice, the first one shown.
  const baseModel = chosenBase || baseModels[0]?.id || '';
  const [description, setDescription] = useState(preset?.description ?? '');
  const [systemPrompt, setSystemPrompt] = useState(preset?.system_prompt ?? '');
  const [initial] = useState(() => paramsText(stored as Params));
  const [numbers, setNumbers] = useState(initial.numbers);
  const [stop, setStop] = useState(initial.stop);
  const [other, setOther] = useState(initial.other);
  const [visibility, setVisibility] = useState(
    preset?.visibility ?? (isAdmin ? 'public' : 'private')
  );
  const [errors, setErrors] = useState<IFormErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  // The base model as chosen: the one shown first while none is chosen is no change.
  useUnsaved(
    [
      name,
      id,
      chosenBase,
      description,
      systemPrompt,
      numbers,
      stop,
      other,
      visibility
    ],
    setUnsaved
  );
  const formRef = useRef<HTMLFormElement>(null);
  const onKeyDown = useFormKeyboard(formRef, errors, onCancel);
  const invalid = errors.fields;
  const describe = (error: unknown) => errorMessage(error, trans);
  const choices = baseModels.some(model => model.id === baseModel)
    ? baseModels
    : [...baseModels, { id: baseModel, label: baseModel }].filter(m => m.id);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    let params: Params;
    try {
      params = paramsFrom({ numbers, stop, other }, trans);
    } catch (reason) {
      setErrors(errorsOf(reason, presetField, describe));
      return;
    }
    setSaving(true);
    try {
      await onSave({
        id: id.trim(),
        name: name.trim(),
        base_model: baseModel,
        description,
        system_prompt: systemPrompt,
        params,
        visibility
      });
    } catch (reason) {
      setErrors(errorsOf(reason, presetField, describe));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      ref={formRef}
      className="jp-ChatExt-form jp-ChatExt-presetForm"
      onSubmit={submit}
      onKeyDown={onKeyDown}
      aria-label={preset ? trans.__('Edit preset') : trans.__('New preset')}
    >
      <h3>
        {preset ? trans.__('Edit “%1”', preset.name) : trans.__('New preset')}
      </h3>
      <div className="jp-ChatExt-form-grid">
        <Field label={trans.__('Name')} error={invalid.name}>
          <input
            className="jp-mod-styled jp-ChatExt-presetName"
            aria-invalid={invalid.name ? true : undefined}
            value={name}
            required
            onChange={event => {
              const value = event.currentTarget.value;
              setName(value);
              if (!idTouched) {
                setId(slug(value));
              }
            }}
          />
        </Field>
        <Field
          label={trans.__('Model id')}
          error={invalid.id}
          hint={trans.__(
            'What chats and the APIs ask for; cannot change later.'
          )}
        >
          <input
            className="jp-mod-styled jp-ChatExt-presetId"
            aria-invalid={invalid.id ? true : undefined}
            value={id}
            required
            disabled={preset !== null}
            pattern={'[A-Za-z0-9][A-Za-z0-9._:\\/\\-]{0,63}'}
            onChange={event => {
              setIdTouched(true);
              setId(event.currentTarget.value);
            }}
          />
        </Field>
        <Field
          label={trans.__('Base model')}
          error={
            invalid.base_model ??
            (modelsError
              ? trans.__('Could not load the models: %1', modelsError)
              : undefined)
          }
        >
          <HTMLSelect
            className="jp-ChatExt-baseModel"
            aria-invalid={invalid.base_model ? true : undefined}
            value={baseModel}
            required
            onChange={event => setBaseModel(event.currentTarget.value)}
          >
            {choices.length === 0 && (
              <option value="">
                {modelsLoading
                  ? trans.__('Loading models…')
                  : trans.__('No models available')}
              </option>
            )}
            {choices.map(model => (
              <option key={model.id} value={model.id}>
                {model.label}
              </option>
            ))}
          </HTMLSelect>
        </Field>
        <Field label={trans.__('Visibility')} error={invalid.visibility}>
          <HTMLSelect
            className="jp-ChatExt-visibility"
            aria-invalid={invalid.visibility ? true : undefined}
            value={visibility}
            onChange={event =>
              setVisibility(event.currentTarget.value as 'public' | 'private')
            }
          >
            <option value="private">{trans.__('Only me')}</option>
            {isAdmin && <option value="public">{trans.__('Everyone')}</option>}
          </HTMLSelect>
        </Field>
        <TextField
          label={trans.__('Description')}
          className="jp-ChatExt-description"
          error={invalid.description}
          value={description}
          onChange={setDescription}
        />
        <Field label={trans.__('System prompt')} error={invalid.system_prompt}>
          <textarea
            className="jp-mod-styled jp-ChatExt-systemPrompt"
            aria-invalid={invalid.system_prompt ? true : undefined}
            rows={4}
            value={systemPrompt}
            onChange={event => setSystemPrompt(event.currentTarget.value)}
          />
        </Field>
        {NUMBER_PARAMS.map(([key]) => (
          <Field key={key} label={paramLabel(key, trans)} error={invalid[key]}>
            <input
              className={`jp-mod-styled jp-ChatExt-param-${key}`}
              aria-invalid={invalid[key] ? true : undefined}
              type="number"
              // Any value: a step would refuse 0.33 as between two steps. The server checks
              // the range, and its verdict shows under the field.
              step="any"
              value={numbers[key]}
              placeholder={trans.__('Default')}
              onChange={event => {
                const value = event.currentTarget.value;
                setNumbers(known => ({ ...known, [key]: value }));
              }}
            />
          </Field>
        ))}
        <TextField
          label={trans.__('Stop sequences')}
          hint={trans.__('Separated by commas; \\n for a line break.')}
          className="jp-ChatExt-param-stop"
          error={invalid.stop}
          value={stop}
          onChange={setStop}
        />
        <Field
          label={trans.__('Other options (JSON)')}
          error={invalid.other}
          hint={trans.__('Any other upstream option, e.g. {"num_ctx": 8192}.')}
        >
          <textarea
            className="jp-mod-styled jp-ChatExt-param-other"
            aria-invalid={invalid.other ? true : undefined}
            rows={2}
            value={other}
            onChange={event => setOther(event.currentTarget.value)}
          />
        </Field>
      </div>
      <ErrorNote error={errors.general} />
      <FormButtons
        submitLabel={preset ? trans.__('Save') : trans.__('Create')}
        busy={saving}
        onCancel={onCancel}
        trans={trans}
      />
    </form>
  );
}

/** A model id made from a name: "Code Helper" → "code-helper". */
function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9._:-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, 64);
}

const PRESET_FIELDS = new Set([
  'id',
  'name',
  'base_model',
  'description',
  'system_prompt',
  'visibility'
]);

/**
 * The form's field for where the server found a problem: a parameter with a field of its
 * own, else "Other options", where every other parameter is written.
 */
function presetField(location: string): string | null {
  const [first, second] = location.split('.');
  if (first === 'params' && second !== undefined) {
    const known: readonly string[] = [...NUMBER_NAMES, 'stop'];
    return known.includes(second) ? second : 'other';
  }
  return PRESET_FIELDS.has(first) ? first : null;
}
